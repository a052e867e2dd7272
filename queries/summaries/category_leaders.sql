-- grain: one row per category and reporting place of one snapshot: best-covered metric, the place's latest figure
-- params: $snapshot_id
insert into category_leaders
with reach as (
    select f.metric_id, m.category, count(distinct f.district_id) as places, count(*) as figures,
    from facts as f
    join metrics as m using (metric_id)
    where f.snapshot_id = $snapshot_id
    group by f.metric_id, m.category
),

leaders as (
    select category, metric_id, from reach
    qualify row_number() over (partition by category order by places desc, figures desc, metric_id) = 1
),

latest as (
    select f.*, from facts as f
    semi join leaders as l on l.metric_id = f.metric_id
    where f.snapshot_id = $snapshot_id
    qualify row_number() over (partition by f.metric_id, f.district_id order by f.period_end desc) = 1
)

select
    $snapshot_id, l.category, l.metric_id, f.district_id, f.value,
    f.qualifier, f.period_label, f.value_as_written, f.quote,
from leaders as l
join latest as f using (metric_id)
