-- grain: one row per place and category of one snapshot with at least one figure
-- params: $snapshot_id
insert into district_category_figures
with per_metric as (
    select district_id, metric_id, count(*) as figures,
    from facts
    where snapshot_id = $snapshot_id
    group by district_id, metric_id
)

select $snapshot_id, p.district_id, m.category, sum(p.figures)::bigint,
from per_metric as p
join metrics as m using (metric_id)
group by p.district_id, m.category
