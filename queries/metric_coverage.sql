-- grain: one row per metric with figures in the snapshot: how many places and figures report it
-- params: $snapshot_id, $category (null for every category), $concept_id (null for every concept)
-- summaries: metric_reach
select
    m.metric_id,
    m.category,
    m.concept_id,
    m.measure,
    m.name_zh,
    m.name_en,
    m.unit,
    m.description_en,
    r.places_reporting,
    r.figures,
from metric_reach as r
join metrics as m using (metric_id)
where r.snapshot_id = $snapshot_id
    and ($category is null or m.category = $category)
    and ($concept_id is null or m.concept_id = $concept_id)
order by r.places_reporting desc, r.figures desc, m.metric_id
