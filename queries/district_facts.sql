-- grain: one row per figure of one place, with its metric, concept, source and how many places report its concept
-- params: $snapshot_id, $district_id
-- summaries: concept_reach
with reach as (
    select concept_id, places_reporting, from concept_reach where snapshot_id = $snapshot_id
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
    m.concept_id,
    m.measure,
    f.value,
    f.qualifier,
    f.period_start,
    f.period_end,
    f.period_label,
    f.period_basis,
    f.scope_zh,
    f.scope_en,
    f.value_as_written,
    f.quote,
    f.note,
    f.source_id,
    s.title_zh as source_title_zh,
    s.title_en as source_title_en,
    r.places_reporting,
from place_facts as f
join metrics as m using (metric_id)
join reach as r using (concept_id)
left join sources as s on s.source_id = f.source_id
order by m.category, r.places_reporting desc, f.scope_zh is null desc, f.metric_id, f.period_end, f.period_start
