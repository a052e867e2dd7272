-- grain: one row per place and category, with how many figures the snapshot has (0 included)
-- params: $snapshot_id
-- summaries: district_category_figures
with counted as (
    select district_id, category, figures, from district_category_figures where snapshot_id = $snapshot_id
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
order by d.name_en, d.district_id, c.category
