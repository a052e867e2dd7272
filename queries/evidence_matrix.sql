-- grain: one row per concept of one category (with a figure in the snapshot) and figure of a chosen place; concepts ordered by how many places report them, a place's figures by the reference metric, whole place, then largest
-- params: $snapshot_id, $category, $district_ids (list of ids: the matrix's columns)
-- summaries: concept_reach
with category_concepts as (
    select c.*, r.places_reporting, r.reference_metric_id,
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

concept_metrics as (
    select m.*, cc.places_reporting,
    from metrics as m
    join category_concepts as cc using (concept_id)
)

select
    m.concept_id,
    cc.name_zh as concept_name_zh,
    cc.name_en as concept_name_en,
    cc.places_reporting,
    f.district_id,
    f.fact_id,
    f.metric_id,
    m.name_zh as metric_name_zh,
    m.name_en as metric_name_en,
    m.unit,
    m.measure,
    f.value,
    f.qualifier,
    f.period_label,
    f.period_basis,
    f.scope_zh,
    f.scope_en,
    f.value_as_written,
    f.source_id,
from snapshot_facts as f
join concept_metrics as m using (metric_id)
join category_concepts as cc using (concept_id)
order by cc.places_reporting desc, m.concept_id, f.district_id, f.metric_id = cc.reference_metric_id desc,
    f.scope_zh is null desc, f.value desc, f.metric_id, f.period_end, f.period_start
