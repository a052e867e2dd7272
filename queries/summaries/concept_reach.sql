-- grain: one row per concept of one snapshot: how many places, figures and metrics report it, and its reference metric (the one most places report)
-- params: $snapshot_id
insert into concept_reach
with figures as (
    select f.district_id, f.metric_id, m.concept_id,
    from facts as f
    join metrics as m using (metric_id)
    where f.snapshot_id = $snapshot_id
),

per_metric as (
    select concept_id, metric_id, count(distinct district_id) as places, count(*) as figures,
    from figures
    group by concept_id, metric_id
),

per_concept as (
    select concept_id, count(distinct district_id) as places,
    from figures
    group by concept_id
)

select
    $snapshot_id,
    m.concept_id,
    any_value(c.places),
    sum(m.figures)::bigint,
    count(*),
    first(m.metric_id order by m.places desc, m.figures desc, m.metric_id),
from per_metric as m
join per_concept as c using (concept_id)
group by m.concept_id
