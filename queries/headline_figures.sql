-- grain: one row per headline category and place: the category's best-covered metric (most places reporting, then most figures), with each place's latest figure or null
-- params: $snapshot_id, $categories (list)
with reach as (
    select r.metric_id, m.category, r.places_reporting as places, r.figures,
    from metric_reach as r
    join metrics as m using (metric_id)
    where r.snapshot_id = $snapshot_id and list_contains($categories, m.category)
),

headline as (
    select category, metric_id, from reach
    qualify row_number() over (partition by category order by places desc, figures desc, metric_id) = 1
),

latest as (
    select f.* from facts as f
    where f.snapshot_id = $snapshot_id and f.metric_id in (select metric_id from headline)
    qualify row_number() over (partition by f.metric_id, f.district_id order by f.period_end desc) = 1
)

select
    h.category,
    h.metric_id,
    m.name_zh as metric_name_zh,
    m.name_en as metric_name_en,
    m.unit,
    d.district_id,
    d.name_zh,
    d.name_en,
    l.value,
    l.qualifier,
    l.period_label,
    l.value_as_written,
    l.quote,
from headline as h
join metrics as m using (metric_id)
cross join districts as d
left join latest as l on l.metric_id = h.metric_id and l.district_id = d.district_id
order by h.category, d.name_en
