-- grain: one row per figure of a chosen place for every other concept of one concept's family (its related definitions, never on its axis), most-reported concept first
-- params: $snapshot_id, $concept_id, $district_ids (list of ids, in the order shown)
-- summaries: concept_reach
with relatives as (
    select c.*, r.places_reporting,
    from concepts as c
    join concepts as shown on shown.family_id = c.family_id and shown.concept_id = $concept_id
    join concept_reach as r on r.concept_id = c.concept_id and r.snapshot_id = $snapshot_id
    where c.concept_id <> $concept_id
),

-- the snapshot's rows on their own, first: joined with the rest, DuckDB would open every snapshot's file
snapshot_facts as materialized (
    select * from facts
    where snapshot_id = $snapshot_id
        and metric_id in (select metric_id from metrics where concept_id in (select concept_id from relatives))
        and list_contains($district_ids, district_id)
)

select
    r.concept_id,
    r.category,
    r.name_zh as concept_name_zh,
    r.name_en as concept_name_en,
    r.places_reporting,
    f.district_id,
    d.name_zh,
    d.name_en,
    f.fact_id,
    f.value,
    m.unit,
    f.qualifier,
    f.period_label,
    f.period_basis,
    f.scope_zh,
    f.scope_en,
    f.value_as_written,
    f.source_id,
from snapshot_facts as f
join metrics as m using (metric_id)
join relatives as r using (concept_id)
join districts as d using (district_id)
order by r.places_reporting desc, r.concept_id, list_position($district_ids, f.district_id), f.period_end
