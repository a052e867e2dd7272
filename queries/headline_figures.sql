-- grain: one row per headline category and place: the category's best-covered metric and the place's latest figure or null
-- params: $snapshot_id, $categories (list)
with leaders as (
    select distinct category, metric_id, from category_leaders
    where snapshot_id = $snapshot_id and list_contains($categories, category)
),

figures as (
    select * from category_leaders where snapshot_id = $snapshot_id
)

select
    l.category,
    l.metric_id,
    m.name_zh as metric_name_zh,
    m.name_en as metric_name_en,
    m.unit,
    d.district_id,
    d.name_zh,
    d.name_en,
    f.value,
    f.qualifier,
    f.period_label,
    f.value_as_written,
    f.quote,
from leaders as l
join metrics as m using (metric_id)
cross join districts as d
left join figures as f on f.metric_id = l.metric_id and f.district_id = d.district_id
order by l.category, d.name_en
