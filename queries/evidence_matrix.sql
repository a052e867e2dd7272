-- grain: one row per figure of a chosen place, grouped by family (related definitions) of one category (with a figure in the snapshot); families ordered by how many places report one of their definitions alike (same-definition reach), a place's figures by that most-reported definition, whole place, then largest
-- params: $snapshot_id, $category, $district_ids (list of ids: the matrix's columns)
-- summaries: concept_reach
with category_concepts as (
    select c.*, r.places_reporting,
    from concept_reach as r
    join concepts as c using (concept_id)
    where r.snapshot_id = $snapshot_id and c.category = $category
),

-- the snapshot's rows on their own, first: joined with the rest, DuckDB would open every snapshot's file
snapshot_facts as materialized (
    select * from facts
    where snapshot_id = $snapshot_id
        and metric_id in (select metric_id from metrics where category = $category)
        and list_contains($district_ids, district_id)
),

families as (
    select
        family_id,
        any_value(family_zh) as family_zh,
        any_value(family_en) as family_en,
        max(places_reporting) as same_definition_places,
    from category_concepts
    group by family_id
),

concept_metrics as (
    select m.*, cc.family_id, cc.places_reporting,
    from metrics as m
    join category_concepts as cc using (concept_id)
),

figures as (
    select f.*, m.family_id, m.concept_id, m.places_reporting, m.name_zh, m.name_en, m.unit, m.measure,
    from snapshot_facts as f
    join concept_metrics as m using (metric_id)
),

family_places as (
    -- places of the chosen ones that report any definition of the family
    select family_id, count(distinct district_id) as places_reporting_family, from figures group by family_id
)

select
    f.family_id,
    fam.family_zh,
    fam.family_en,
    fam.same_definition_places,
    p.places_reporting_family,
    f.concept_id,
    f.places_reporting,
    f.district_id,
    f.fact_id,
    f.metric_id,
    f.name_zh as metric_name_zh,
    f.name_en as metric_name_en,
    f.unit,
    f.measure,
    f.value,
    f.qualifier,
    f.period_label,
    f.period_basis,
    f.scope_zh,
    f.scope_en,
    f.value_as_written,
    f.source_id,
from figures as f
join families as fam using (family_id)
join family_places as p using (family_id)
order by fam.same_definition_places desc, p.places_reporting_family desc, f.family_id, f.district_id,
    f.places_reporting desc, f.scope_zh is null desc, f.value desc, f.metric_id, f.period_end, f.period_start
