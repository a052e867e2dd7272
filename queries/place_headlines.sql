-- grain: one row per chosen place and category: the place's own headline figure — whole place first, then one that can be compared (known period, an outcome, not an estimate), then of the family most places report, then the latest (a newer figure replaces an older one), then the largest
-- params: $snapshot_id, $district_ids (list of ids), $categories (list; null for every category)
-- summaries: concept_reach
with family_reach as (
    select c.family_id, max(r.places_reporting) as family_places,
    from concept_reach as r
    join concepts as c using (concept_id)
    where r.snapshot_id = $snapshot_id
    group by c.family_id
),

place_facts as (
    select * from facts_by_place where snapshot_id = $snapshot_id and list_contains($district_ids, district_id)
)

select
    f.district_id,
    d.name_zh,
    d.name_en,
    m.category,
    c.family_id,
    c.family_zh,
    c.family_en,
    m.concept_id,
    f.fact_id,
    f.metric_id,
    m.name_zh as metric_name_zh,
    m.name_en as metric_name_en,
    m.unit,
    m.measure,
    f.value,
    f.qualifier,
    f.period_end,
    f.period_label,
    f.period_basis,
    f.scope_zh,
    f.scope_en,
    f.value_as_written,
    f.quote,
    f.source_id,
from place_facts as f
join metrics as m using (metric_id)
join concepts as c using (concept_id)
join family_reach as r using (family_id)
join districts as d using (district_id)
where $categories is null or list_contains($categories, m.category)
qualify row_number() over (
    partition by f.district_id, m.category
    order by
        f.scope_zh is null desc,
        (f.period_basis <> 'open' and f.qualifier not in ('estimate', 'target') and m.measure <> 'target') desc,
        (f.qualifier <> 'target' and m.measure <> 'target') desc,
        r.family_places desc,
        f.period_end desc,
        f.value desc,
        f.metric_id
) = 1
order by list_position($district_ids, f.district_id), m.category
