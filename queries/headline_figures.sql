-- grain: one row per headline category and reporting place among its top $top_n by value, for the category's best-covered concept
-- params: $snapshot_id, $categories (list), $top_n
-- summaries: category_leaders
with figures as (
    select
        *,
        count(*) over (partition by category) as places_reporting,
        row_number() over (partition by category order by value desc, district_id) as rank,
    from category_leaders
    where snapshot_id = $snapshot_id and list_contains($categories, category)
    qualify rank <= $top_n
)

select
    f.category,
    f.concept_id,
    c.name_zh as concept_name_zh,
    c.name_en as concept_name_en,
    f.metric_id,
    m.name_zh as metric_name_zh,
    m.name_en as metric_name_en,
    m.unit,
    f.district_id,
    d.name_zh,
    d.name_en,
    f.value,
    f.qualifier,
    f.period_label,
    f.value_as_written,
    f.quote,
    f.scope_zh,
    f.scope_en,
    f.places_reporting,
    count(distinct f.metric_id) over (partition by f.category) as definitions,
from figures as f
join concepts as c using (concept_id)
join metrics as m using (metric_id)
join districts as d using (district_id)
order by f.category, f.rank
