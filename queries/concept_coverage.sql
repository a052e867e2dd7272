-- grain: one row per concept with figures in the snapshot: its category and family, unit, how many places (its reach: one definition), metrics and figures report it
-- params: $snapshot_id, $category (null for every category)
-- summaries: concept_reach
select
    c.concept_id,
    c.category,
    c.name_zh,
    c.name_en,
    c.description_en,
    c.family_id,
    c.family_zh,
    c.family_en,
    m.unit,
    r.places_reporting,
    r.metrics,
    r.figures,
    r.reference_metric_id,
from concept_reach as r
join concepts as c using (concept_id)
join metrics as m on m.metric_id = r.reference_metric_id
where r.snapshot_id = $snapshot_id
    and ($category is null or c.category = $category)
order by r.places_reporting desc, r.figures desc, c.concept_id
