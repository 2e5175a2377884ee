"""The dashboard's job as a card, for narrow screens (a phone, a tablet upright), where a table of seven columns
would scroll sideways: name, status, bar, what it does now, speed and ETA, and the job's actions. It is the
dashboard table's own `item` slot: Quasar draws the rows as these cards while `$q.screen.lt.md`, so both show the
same rows, refreshed by the same timer."""

from __future__ import annotations

from progress_app.ui.components import job_actions


def action_buttons(size: str) -> str:
    """The buttons of the actions a row allows (`props.row.actions`), each sending `act` to the table."""
    return '\n'.join(
        f'''  <q-btn v-if="props.row.actions.includes('{name}')" flat round dense size="{size}" icon="{icon}"
         color="{color}" @click.stop="$parent.$emit('act', {{id: props.row.id, action: '{name}'}})"
         aria-label="{tip}"><q-tooltip>{tip}</q-tooltip></q-btn>'''
        for name, (icon, tip, color) in job_actions.BUTTONS.items())


BAR = '''<q-linear-progress :value="props.row.progress / 100" :color="props.row.color" rounded
       :stripe="props.row.estimated" class="col" style="height: 8px" animation-speed="250"/>'''
"""A row's progress bar, in the table and in the card (striped: progress by time, an estimate)."""

CARD_SLOT = r'''
<div class="col-12 col-sm-6 py-1 sm:px-1">
  <q-card flat bordered :class="'job-card status-' + props.row.status">
    <q-card-section class="q-pb-none">
      <div class="flex items-start no-wrap" style="gap: 8px">
        <div class="col" style="min-width: 0">
          <a :href="'/jobs/' + props.row.id" class="job-card-name text-primary font-medium ellipsis-2-lines"
             style="text-decoration: none">{{ props.row.name }}</a>
          <div class="text-xs muted ellipsis">
            <q-icon :name="props.row.icon" size="14px"/> {{ props.row.kind }} · #{{ props.row.id }}
            <span v-if="props.row.runs_on">· {{ props.row.runs_on }}</span></div>
        </div>
        <q-badge :color="props.row.color" :label="props.row.status_text" class="px-2 py-1"/>
        <q-badge v-if="props.row.stalled" color="orange-9" label="stalled" class="stalled-badge px-2 py-1"/>
      </div>
      <div class="flex items-center no-wrap q-mt-sm" style="gap: 8px">
        ''' + BAR + r'''
        <span class="text-xs mono" style="white-space: nowrap">{{ props.row.percent }}</span>
      </div>
      <div v-if="props.row.message" class="text-sm ellipsis q-mt-xs" :title="props.row.message">
        {{ props.row.message }}</div>
      <div class="flex justify-between text-xs muted q-mt-xs" style="gap: 8px">
        <span class="ellipsis">{{ props.row.stage_text }}</span>
        <span class="job-card-timing" style="white-space: nowrap">{{ props.row.timing }}</span>
      </div>
    </q-card-section>
    <q-card-actions align="right" class="q-pt-none">
''' + action_buttons('md') + '''
      <q-btn flat round dense icon="open_in_new" color="grey-7" :href="'/jobs/' + props.row.id" aria-label="Open">
        <q-tooltip>Open</q-tooltip></q-btn>
    </q-card-actions>
  </q-card>
</div>'''
