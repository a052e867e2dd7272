-- grain: one row per category and reporting place of one snapshot: the best-covered concept, and the place's latest figure of it (of the concept's reference metric where the place reports that)
-- params: $snapshot_id
insert into category_leaders
with figures as (
    select f.*, m.concept_id, m.category,
    from facts as f
    join metrics as m using (metric_id)
    where f.snapshot_id = $snapshot_id
),

reach as (
    select category, concept_id, count(distinct district_id) as places, count(*) as figures,
    from figures
    group by category, concept_id
),

leaders as (
    select category, concept_id, from reach
    qualify row_number() over (partition by category order by places desc, figures desc, concept_id) = 1
),

metric_places as (
    select metric_id, count(distinct district_id) as places, from figures semi join leaders using (concept_id)
    group by metric_id
),

latest as (
    select f.*, from figures as f
    semi join leaders using (concept_id)
    join metric_places as p using (metric_id)
    qualify row_number() over (
        partition by f.concept_id, f.district_id
        order by f.scope_zh is null desc, p.places desc, f.period_end desc, f.metric_id
    ) = 1
)

select
    $snapshot_id, l.category, f.concept_id, f.metric_id, f.district_id, f.value,
    f.qualifier, f.period_label, f.value_as_written, f.quote, f.scope_zh, f.scope_en,
from leaders as l
join latest as f using (concept_id)
