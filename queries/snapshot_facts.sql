-- grain: one row per figure of one snapshot, in the analysts' columns; a null list means no filter on that column
-- params: $snapshot_id, $district_ids (list or null), $metric_ids (list or null), $source_ids (list or null)
select
    snapshot_id,
    district_id,
    metric_id,
    value,
    qualifier,
    period_start,
    period_end,
    period_label,
    period_basis,
    scope_zh,
    scope_en,
    value_as_written,
    source_id,
    quote,
    note,
from facts
where snapshot_id = $snapshot_id
    and ($district_ids is null or list_contains($district_ids, district_id))
    and ($metric_ids is null or list_contains($metric_ids, metric_id))
    and ($source_ids is null or list_contains($source_ids, source_id))
order by metric_id, district_id, period_start, period_end
