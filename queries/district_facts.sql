-- grain: one row per figure of one place, with its metric, source and how many places report it
-- params: $snapshot_id, $district_id
with reach as (
    select metric_id, places_reporting, from metric_reach where snapshot_id = $snapshot_id
),

place_facts as (
    select * from facts_by_place where snapshot_id = $snapshot_id and district_id = $district_id
)

select
    f.fact_id,
    f.metric_id,
    m.category,
    m.name_zh as metric_name_zh,
    m.name_en as metric_name_en,
    m.unit,
    f.value,
    f.qualifier,
    f.period_start,
    f.period_end,
    f.period_label,
    f.value_as_written,
    f.quote,
    f.note,
    f.source_id,
    s.title_zh as source_title_zh,
    s.title_en as source_title_en,
    r.places_reporting,
from place_facts as f
join metrics as m using (metric_id)
join reach as r using (metric_id)
left join sources as s on s.source_id = f.source_id
order by m.category, r.places_reporting desc, f.metric_id, f.period_end, f.period_start
