"""The dashboard's table: its columns and the templates of its cells (the card of a job on a narrow screen is
job_card.py). The rows themselves are made by ui/rows.py."""

from __future__ import annotations

from progress_app.ui.components.job_card import BAR, action_buttons

COLUMNS = [
    {'name': 'name', 'label': 'Job', 'field': 'name', 'align': 'left'},
    {'name': 'status', 'label': 'Status', 'field': 'status', 'align': 'left'},
    {'name': 'progress', 'label': 'Progress', 'field': 'progress', 'align': 'left'},
    {'name': 'detail', 'label': 'Now', 'field': 'message', 'align': 'left', 'classes': 'detail-cell'},
    # read at a glance: '2 min 34 s left' on one line, never '2 min 34 / s' (the Now column gives way instead)
    {'name': 'timing', 'label': 'Speed · ETA', 'field': 'timing', 'align': 'left', 'classes': 'timing-cell',
     'style': 'white-space: nowrap'},
    {'name': 'elapsed', 'label': 'Elapsed', 'field': 'elapsed', 'align': 'right', 'classes': 'elapsed-cell',
     'style': 'white-space: nowrap'},
    {'name': 'actions', 'label': '', 'field': 'id', 'align': 'right'},
]

NAME_SLOT = r'''
<q-td :props="props">
  <a :href="'/jobs/' + props.row.id" class="text-primary font-medium" style="text-decoration:none">
    {{ props.row.name }}</a>
  <div class="text-xs muted">
    <q-icon :name="props.row.icon" size="14px"/> {{ props.row.kind }} · #{{ props.row.id }}
    <span v-if="props.row.runs_on" :class="'external-host' + (props.row.late ? ' text-orange-9' : '')">
      · {{ props.row.runs_on }}<q-tooltip>{{ props.row.where }}</q-tooltip></span></div>
</q-td>'''
STATUS_SLOT = r'''
<q-td :props="props" :class="'status-' + props.row.status">
  <q-badge :color="props.row.color" :label="props.row.status_text" class="px-2 py-1"/>
  <q-badge v-if="props.row.stalled" color="orange-9" label="stalled" class="stalled-badge q-ml-xs px-2 py-1">
    <q-tooltip>{{ props.row.stalled }}: no progress for far longer than usual</q-tooltip></q-badge>
</q-td>'''
PROGRESS_SLOT = r'''
<q-td :props="props" style="min-width: 200px">
  <div class="flex items-center no-wrap" style="gap: 8px">
    ''' + BAR + r'''
    <span class="text-xs mono" style="width: 3.2em; text-align: right">{{ props.row.percent }}</span>
  </div>
  <div class="text-xs muted">{{ props.row.stage_text }}</div>
</q-td>'''
DETAIL_SLOT = r'''
<q-td :props="props" style="max-width: 340px; white-space: normal">
  <div class="text-sm ellipsis" :title="props.row.message">{{ props.row.message }}</div>
  <div class="text-xs muted mono" style="white-space: nowrap">{{ props.row.counts }}</div>
</q-td>'''
ACTIONS_SLOT = r'''
<q-td :props="props" class="text-right" style="white-space: nowrap">
''' + action_buttons('sm') + '''
  <q-btn flat round dense size="sm" icon="open_in_new" color="grey-7" :href="'/jobs/' + props.row.id">
    <q-tooltip>Open</q-tooltip></q-btn>
</q-td>'''

# NiceGUI 3.18 renders a string slot template as a new Vue component type on every render, so each refresh
# unmounted and rebuilt every templated cell (zauberzeug/nicegui#6284; fix pending in #6287): with 25 rows that
# kept Chromium's renderer 60-90 % of a core busy and the page seconds behind (bench/ui_latency.py). One
# definition per template lets Vue patch the cells instead. This module script runs after NiceGUI has put Vue on
# globalThis and before it creates the app.
STABLE_SLOTS_JS = '''<script type="module">
const vue = globalThis.Vue, definitions = new Map();
globalThis.Vue = {...vue, h: (type, ...rest) => {
  if (type && typeof type === 'object' && typeof type.template === 'string' && !type.render && !type.setup) {
    if (!definitions.has(type.template)) definitions.set(type.template, vue.markRaw(type));
    type = definitions.get(type.template);
  }
  return vue.h(type, ...rest);
}};
</script>'''
