-- grain: one row per figure of the snapshot that cites one report, ordered by metric and place
-- params: $snapshot_id, $source_id
-- summaries: district_source_figures
with citing_places as (
    -- read from the copy sorted by place: naming the places lets it skip every other row group
    select district_id from district_source_figures where snapshot_id = $snapshot_id and source_id = $source_id
)

select
    f.fact_id,
    f.district_id,
    f.metric_id,
    m.name_zh as metric_name_zh,
    m.name_en as metric_name_en,
    m.unit,
    f.value,
    f.qualifier,
    f.period_label,
    f.value_as_written,
    f.quote,
from facts_by_place as f
semi join citing_places using (district_id)
join metrics as m using (metric_id)
where f.snapshot_id = $snapshot_id and f.source_id = $source_id
order by f.metric_id, f.district_id, f.period_start, f.period_end
