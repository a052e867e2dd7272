-- grain: one row per (place, metric, period) added, removed or revised from one snapshot to another
-- params: $old_snapshot_id, $new_snapshot_id, $row_limit (null for every row)
-- summaries: snapshot_changes
with paired as (
    select * exclude (old_snapshot_id, new_snapshot_id), from snapshot_changes
    where old_snapshot_id = $old_snapshot_id and new_snapshot_id = $new_snapshot_id
)

select
    p.*,
    d.name_zh,
    d.name_en,
    m.name_zh as metric_name_zh,
    m.name_en as metric_name_en,
    m.unit,
from paired as p
left join districts as d using (district_id)
left join metrics as m using (metric_id)
order by p.change, d.name_en, p.district_id, p.metric_id, p.period_end, p.period_label
limit $row_limit
