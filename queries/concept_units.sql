-- grain: one row per concept with a metric: its category and the unit its metrics share
-- params: none
select c.concept_id, c.category, any_value(m.unit) as unit,
from concepts as c
join metrics as m using (concept_id)
group by c.concept_id, c.category
order by c.concept_id
