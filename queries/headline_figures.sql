-- grain: one row per headline category and place: the category's best-covered metric (most places reporting, then most figures), with each place's latest figure or null
-- params: $snapshot_id, $categories (list)
with snapshot_facts as (
    select f.*, m.category, from facts as f
    join metrics as m using (metric_id)
    where f.snapshot_id = $snapshot_id and list_contains($categories, m.category)
),

ranked_metrics as (
    select
        category,
        metric_id,
        row_number() over (
            partition by category
            order by count(distinct district_id) desc, count(*) desc, metric_id
        ) as rank,
    from snapshot_facts
    group by category, metric_id
),

headline as (
    select category, metric_id, from ranked_metrics where rank = 1
),

latest as (
    select * from snapshot_facts
    qualify row_number() over (partition by metric_id, district_id order by period_end desc) = 1
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
