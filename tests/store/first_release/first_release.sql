BEGIN TRANSACTION;
CREATE TABLE apscheduler_jobs (
	id VARCHAR(191) NOT NULL, 
	next_run_time FLOAT, 
	job_state BLOB NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "apscheduler_jobs" VALUES('a5b9919b25bd',1796266800.0,X'800595F1040000000000007D94288C0776657273696F6E944B018C026964948C0C613562393931396232356264948C0466756E63948C2370726F67726573735F6170702E72756E74696D652E7363686564756C65733A66697265948C0774726967676572948C1961707363686564756C65722E74726967676572732E63726F6E948C0B43726F6E547269676765729493942981947D942868014B028C0874696D657A6F6E65948C086275696C74696E73948C07676574617474729493948C087A6F6E65696E666F948C085A6F6E65496E666F9493948C095F756E7069636B6C6594869452948C074574632F555443944B01869452948C0A73746172745F64617465944E8C08656E645F64617465944E8C066669656C6473945D94288C2061707363686564756C65722E74726967676572732E63726F6E2E6669656C6473948C09426173654669656C649493942981947D94288C046E616D65948C0479656172948C0A69735F64656661756C7494888C0B65787072657373696F6E73945D948C2561707363686564756C65722E74726967676572732E63726F6E2E65787072657373696F6E73948C0D416C6C45787072657373696F6E9493942981947D948C0473746570944E7362617562681D8C0A4D6F6E74684669656C649493942981947D942868228C056D6F6E74689468248968255D9468292981947D94682C4E7362617562681D8C0F4461794F664D6F6E74684669656C649493942981947D942868228C036461799468248968255D9468292981947D94682C4E7362617562681D8C095765656B4669656C649493942981947D942868228C047765656B9468248868255D9468292981947D94682C4E7362617562681D8C0E4461794F665765656B4669656C649493942981947D942868228C0B6461795F6F665F7765656B9468248968255D9468292981947D94682C4E7362617562681F2981947D942868228C04686F75729468248968255D9468278C0F52616E676545787072657373696F6E9493942981947D9428682C4E8C056669727374944B038C046C617374944B037562617562681F2981947D942868228C066D696E7574659468248968255D9468522981947D9428682C4E68554B0068564B007562617562681F2981947D942868228C067365636F6E649468248868255D9468522981947D9428682C4E68554B0068564B007562617562658C066A6974746572944E75628C086578656375746F72948C0764656661756C74948C0461726773948C103534326361633431396562613965306394680386948C066B7761726773947D94288C036A6F62947D94288C046B696E64948C0464656D6F948C06706172616D73947D948C056974656D73944B027368228C076E696768746C79948C087072696F72697479944B008C066E6F74696679944E758C03647565944741DAC436CC0000008C0A637265617465645F6174944741DAC4174966A3888C0A646566696E6974696F6E947D9428686D686E686F7D948C056974656D73944B02736822687268734B008C0463726F6E948C09302033202A202A202A948C10696E74657276616C5F7365636F6E6473944E8C0672756E5F6174944E68744E7575682268728C126D6973666972655F67726163655F74696D65944E8C08636F616C6573636594888C0D6D61785F696E7374616E636573944B018C0D6E6578745F72756E5F74696D65948C086461746574696D65948C086461746574696D65949394430A07EA0C0303000000000094681886945294752E');
CREATE TABLE job (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	name VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	priority INTEGER NOT NULL, 
	params JSON NOT NULL, 
	options JSON NOT NULL, 
	stages JSON NOT NULL, 
	stage_states JSON NOT NULL, 
	stage_index INTEGER NOT NULL, 
	current FLOAT NOT NULL, 
	total FLOAT, 
	unit VARCHAR NOT NULL, 
	message VARCHAR NOT NULL, 
	progress FLOAT NOT NULL, 
	elapsed FLOAT NOT NULL, 
	checkpoint JSON, 
	result JSON, 
	error VARCHAR, 
	error_stage VARCHAR, 
	traceback VARCHAR, 
	attempts INTEGER NOT NULL, 
	created_at FLOAT NOT NULL, 
	started_at FLOAT, 
	finished_at FLOAT, 
	run_at FLOAT, 
	schedule_id VARCHAR
);
INSERT INTO "job" VALUES(1,'completed one','demo','completed',0,'{"items": 3, "item_seconds": 0.0, "stages": null, "fail_at_item": null, "fail_times": 1}','{"stages_declared": true}','[["prepare", 1.0, 1796234533.4069488, 1796234533.4283676], ["process", 8.0, 1796234533.4284902, 1796234533.4285471], ["finish", 1.0, 1796234533.4285724, 1796234533.4391098]]','["done", "done", "done"]',2,5.0,5.0,'steps','item 3 of 3',1.0,4.21496939998178277164e-02,'{"state": null, "track": {"prepare#0": 5, "process#0": 3, "finish#0": 5}}','{"items": 3}',NULL,NULL,NULL,1,1.79623453338980984691e+09,1.79623453339744281768e+09,1.79623453343958854673e+09,NULL,NULL);
INSERT INTO "job" VALUES(2,'failed one','demo','failed',0,'{"items": 3, "item_seconds": 0.0, "stages": null, "fail_at_item": 2, "fail_times": 1}','{"stages_declared": true}','[["prepare", 1.0, 1796234533.470881, 1796234533.4719646], ["process", 8.0, 1796234533.472004, null], ["finish", 1.0, null, null]]','["done", "failed", "pending"]',1,1.0,3.0,'items','item 1 of 3',3.66666666666666640761e-01,1.30977159999474679352e-02,'{"state": null, "track": {"prepare#0": 5, "process#0": 1}}',NULL,'RuntimeError: simulated failure at item 2 (attempt 1)','process','Traceback (most recent call last):
  File "/tmp/release1/progress_app/runtime/runner.py", line 66, in _run
    result = engine.kinds.get(job.kind).call(ctx, job.params)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/tmp/release1/progress_app/kinds/registry.py", line 87, in call
    return self.func(ctx, **{names.get(name, name): getattr(model, name) for name in type(model).model_fields})
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/tmp/release1/progress_app/kinds/demo.py", line 43, in demo
    raise RuntimeError(f''simulated failure at item {item} (attempt {ctx.attempt})'')
RuntimeError: simulated failure at item 2 (attempt 1)
',1,1.79623453346312117583e+09,1.79623453347026443478e+09,1.79623453348336100578e+09,NULL,NULL);
INSERT INTO "job" VALUES(3,'cancelled one','demo','cancelled',0,'{"items": 1000, "item_seconds": 0.05, "stages": null, "fail_at_item": null, "fail_times": 1}','{"stages_declared": true}','[["prepare", 1.0, 1796234533.512113, null], ["process", 8.0, null, null], ["finish", 1.0, null, null]]','["failed", "pending", "pending"]',0,1.0,5.0,'steps','',0.02,5.25259329999698820756e-02,'{"state": null, "track": {"prepare#0": 1}}',NULL,NULL,NULL,NULL,1,1.79623453351102781291e+09,1.79623453351167201991e+09,1.79623453356419157979e+09,NULL,NULL);
INSERT INTO "job" VALUES(4,'interrupted one','demo','running',0,'{"items": 400, "item_seconds": 0.05, "stages": null, "fail_at_item": null, "fail_times": 1}','{"stages_declared": true}','[["prepare", 1.0, 1796234533.575897, 1796234533.8288574], ["process", 8.0, 1796234533.8289983, null], ["finish", 1.0, null, null]]','["done", "running", "pending"]',1,30.0,400.0,'items','item 30 of 400',0.16,1.76045888499993452569e+00,'{"state": null, "track": {"prepare#0": 5, "process#0": 30}}',NULL,NULL,NULL,NULL,1,1.79623453357508277889e+09,1.79623453357559132578e+09,NULL,NULL,NULL);
INSERT INTO "job" VALUES(5,'queued one','demo','queued',0,'{"items": 2, "item_seconds": 0.0, "stages": null, "fail_at_item": null, "fail_times": 1}','{"stages_declared": true}','[["prepare", 1.0], ["process", 8.0], ["finish", 1.0]]','["pending", "pending", "pending"]',-1,0.0,NULL,'items','',0.0,0.0,NULL,NULL,NULL,NULL,NULL,0,1.79623453357981944077e+09,NULL,NULL,NULL,NULL);
INSERT INTO "job" VALUES(6,'paused one','demo','paused',0,'{"items": 2, "item_seconds": 0.0, "stages": null, "fail_at_item": null, "fail_times": 1}','{"stages_declared": true}','[["prepare", 1.0, null, null], ["process", 8.0, null, null], ["finish", 1.0, null, null]]','["pending", "pending", "pending"]',-1,0.0,NULL,'items','',0.0,0.0,'null',NULL,NULL,NULL,NULL,0,1.79623453358326268195e+09,NULL,NULL,NULL,NULL);
INSERT INTO "job" VALUES(7,'scheduled one','demo','scheduled',0,'{"items": 2, "item_seconds": 0.0, "stages": null, "fail_at_item": null, "fail_times": 1}','{"stages_declared": true}','[["prepare", 1.0], ["process", 8.0], ["finish", 1.0]]','["pending", "pending", "pending"]',-1,0.0,NULL,'items','',0.0,0.0,NULL,NULL,NULL,NULL,NULL,0,1.79623453359039640425e+09,NULL,NULL,4070908800.0,NULL);
CREATE TABLE job_event (
	id INTEGER NOT NULL, 
	job_id INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	at FLOAT NOT NULL, 
	type VARCHAR NOT NULL, 
	data JSON NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(job_id) REFERENCES job (id) ON DELETE CASCADE
);
INSERT INTO "job_event" VALUES(1,1,1,1.79623453339134955407e+09,'created','{"kind": "demo", "params": {"items": 3, "item_seconds": 0.0, "stages": null, "fail_at_item": null, "fail_times": 1}}');
INSERT INTO "job_event" VALUES(2,1,2,1.79623453339136672024e+09,'queued','{}');
INSERT INTO "job_event" VALUES(3,1,3,1.79623453339749431607e+09,'started','{"attempt": 1, "resuming": false}');
INSERT INTO "job_event" VALUES(4,1,4,1.79623453340699219707e+09,'stage','{"stage": "prepare", "index": 0, "state": "started", "progress": 0.0}');
INSERT INTO "job_event" VALUES(5,1,5,1.79623453342842888834e+09,'stage','{"stage": "prepare", "index": 0, "state": "done", "progress": 10.0}');
INSERT INTO "job_event" VALUES(6,1,6,1.79623453342850732802e+09,'stage','{"stage": "process", "index": 1, "state": "started", "progress": 10.0}');
INSERT INTO "job_event" VALUES(7,1,7,1.79623453342855739591e+09,'stage','{"stage": "process", "index": 1, "state": "done", "progress": 90.0}');
INSERT INTO "job_event" VALUES(8,1,8,1.79623453342858409882e+09,'stage','{"stage": "finish", "index": 2, "state": "started", "progress": 90.0}');
INSERT INTO "job_event" VALUES(9,1,9,1.79623453343916749955e+09,'stage','{"stage": "finish", "index": 2, "state": "done", "progress": 100.0}');
INSERT INTO "job_event" VALUES(10,1,10,1.79623453343962430957e+09,'completed','{"result": {"items": 3}}');
INSERT INTO "job_event" VALUES(11,2,1,1.79623453346339440345e+09,'created','{"kind": "demo", "params": {"items": 3, "item_seconds": 0.0, "stages": null, "fail_at_item": 2, "fail_times": 1}}');
INSERT INTO "job_event" VALUES(12,2,2,1.79623453346340775484e+09,'queued','{}');
INSERT INTO "job_event" VALUES(13,2,3,1.79623453347031688687e+09,'started','{"attempt": 1, "resuming": false}');
INSERT INTO "job_event" VALUES(14,2,4,1.79623453347090268139e+09,'stage','{"stage": "prepare", "index": 0, "state": "started", "progress": 0.0}');
INSERT INTO "job_event" VALUES(15,2,5,1.79623453347198319433e+09,'stage','{"stage": "prepare", "index": 0, "state": "done", "progress": 10.0}');
INSERT INTO "job_event" VALUES(16,2,6,1.79623453347201251983e+09,'stage','{"stage": "process", "index": 1, "state": "started", "progress": 10.0}');
INSERT INTO "job_event" VALUES(17,2,7,1.79623453348339414594e+09,'failed','{"error": "RuntimeError: simulated failure at item 2 (attempt 1)", "stage": "process"}');
INSERT INTO "job_event" VALUES(18,3,1,1.79623453351128149028e+09,'created','{"kind": "demo", "params": {"items": 1000, "item_seconds": 0.05, "stages": null, "fail_at_item": null, "fail_times": 1}}');
INSERT INTO "job_event" VALUES(19,3,2,1.79623453351129555707e+09,'queued','{}');
INSERT INTO "job_event" VALUES(20,3,3,1.79623453351169466967e+09,'started','{"attempt": 1, "resuming": false}');
INSERT INTO "job_event" VALUES(21,3,4,1.79623453351212763792e+09,'stage','{"stage": "prepare", "index": 0, "state": "started", "progress": 0.0}');
INSERT INTO "job_event" VALUES(22,3,5,1.79623453356421852117e+09,'cancelled','{}');
INSERT INTO "job_event" VALUES(23,4,1,1.79623453357527565954e+09,'created','{"kind": "demo", "params": {"items": 400, "item_seconds": 0.05, "stages": null, "fail_at_item": null, "fail_times": 1}}');
INSERT INTO "job_event" VALUES(24,4,2,1.79623453357528805726e+09,'queued','{}');
INSERT INTO "job_event" VALUES(25,4,3,1.79623453357561206817e+09,'started','{"attempt": 1, "resuming": false}');
INSERT INTO "job_event" VALUES(26,4,4,1.79623453357591080664e+09,'stage','{"stage": "prepare", "index": 0, "state": "started", "progress": 0.0}');
INSERT INTO "job_event" VALUES(27,5,1,1.79623453357992815971e+09,'created','{"kind": "demo", "params": {"items": 2, "item_seconds": 0.0, "stages": null, "fail_at_item": null, "fail_times": 1}}');
INSERT INTO "job_event" VALUES(28,5,2,1.79623453357993602755e+09,'queued','{}');
INSERT INTO "job_event" VALUES(29,6,1,1.79623453358338046074e+09,'created','{"kind": "demo", "params": {"items": 2, "item_seconds": 0.0, "stages": null, "fail_at_item": null, "fail_times": 1}}');
INSERT INTO "job_event" VALUES(30,6,2,1.79623453358338904385e+09,'queued','{}');
INSERT INTO "job_event" VALUES(31,6,3,1.7962345335861959457e+09,'paused','{}');
INSERT INTO "job_event" VALUES(32,7,1,1.79623453359058713914e+09,'created','{"kind": "demo", "params": {"items": 2, "item_seconds": 0.0, "stages": null, "fail_at_item": null, "fail_times": 1}, "run_at": 4070908800.0}');
INSERT INTO "job_event" VALUES(33,4,5,1.79623453382893180849e+09,'stage','{"stage": "prepare", "index": 0, "state": "done", "progress": 10.0}');
INSERT INTO "job_event" VALUES(34,4,6,1.79623453382901239394e+09,'stage','{"stage": "process", "index": 1, "state": "started", "progress": 10.0}');
INSERT INTO "job_event" VALUES(35,4,7,1.79623453411804509158e+09,'progress','{"progress": 11.0, "current": 5, "total": 400, "stage": "process", "message": "item 5 of 400"}');
INSERT INTO "job_event" VALUES(36,4,8,1.79623453513320755956e+09,'progress','{"progress": 15.2, "current": 26, "total": 400, "stage": "process", "message": "item 26 of 400"}');
CREATE TABLE meta (
	"key" VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "meta" VALUES('schema_version','1');
CREATE TABLE setting (
	"key" VARCHAR NOT NULL, 
	value JSON, 
	PRIMARY KEY ("key")
);
CREATE INDEX ix_job_finished_at ON job (finished_at);
CREATE INDEX ix_job_kind ON job (kind);
CREATE INDEX ix_job_status_priority ON job (status, priority);
CREATE INDEX ix_job_event_job_seq ON job_event (job_id, seq);
CREATE INDEX ix_job_event_at ON job_event (at);
CREATE INDEX ix_apscheduler_jobs_next_run_time ON apscheduler_jobs (next_run_time);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('job',7);
COMMIT;
