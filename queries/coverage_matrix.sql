-- grain: one row per place and category, with how many figures the snapshot has (0 included)
-- params: $snapshot_id
with snapshot_facts as (
    select f.district_id, m.category, from facts as f
    join metrics as m using (metric_id)
    where f.snapshot_id = $snapshot_id
),

counted as (
    select district_id, category, count(*) as figures, from snapshot_facts group by all
)

select
    d.district_id,
    d.name_zh,
    d.name_en,
    c.category,
    coalesce(counted.figures, 0) as figures,
from districts as d
cross join (select distinct category from metrics) as c
left join counted on counted.district_id = d.district_id and counted.category = c.category
order by d.name_en, c.category
