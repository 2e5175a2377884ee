"""Start Progress App: `python app.py [--host 127.0.0.1] [--port 8080] [--data-dir ./data] [--native] …`."""

import gc
import sys

if 'nicegui' not in sys.modules:  # a fresh process (NiceGUI's test fixture runs this file inside pytest)
    # Importing NiceGUI, FastAPI, SQLAlchemy and pydantic makes ~200,000 objects, nearly all of which live as long as
    # the app. With the cyclic garbage collector on, it scans them again and again while they are made (~0.2 s of
    # start-up); frozen afterwards, no later collection scans them either. The price: the ~1 MB of garbage that the
    # imports leave in reference cycles is never freed.
    gc.disable()
    import progress_app.app  # noqa: F401

    gc.freeze()
    gc.enable()

from progress_app.app import main

if __name__ in {'__main__', '__mp_main__'}:
    main()
