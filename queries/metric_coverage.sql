-- grain: one row per metric with figures in the snapshot: how many places and figures report it
-- params: $snapshot_id, $category (null for every category)
select
    m.metric_id,
    m.category,
    m.name_zh,
    m.name_en,
    m.unit,
    m.description_en,
    count(distinct f.district_id) as places_reporting,
    count(*) as figures,
from facts as f
join metrics as m using (metric_id)
where f.snapshot_id = $snapshot_id
    and ($category is null or m.category = $category)
group by all
order by places_reporting desc, figures desc, m.metric_id
