-- grain: one row per kind of change (added, removed, revised) between two snapshots, with how many figures
-- params: $old_snapshot_id, $new_snapshot_id
-- summaries: snapshot_changes
select change, count(*) as figures,
from snapshot_changes
where old_snapshot_id = $old_snapshot_id and new_snapshot_id = $new_snapshot_id
group by change
