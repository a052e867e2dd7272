-- grain: one row per place, with the reports and periods its figures come from and how many
-- params: $snapshot_id
-- summaries: district_reports
with reports as (
    select * exclude (snapshot_id), from district_reports where snapshot_id = $snapshot_id
)

select
    d.district_id,
    d.name_zh,
    d.name_en,
    d.level,
    d.city_zh,
    d.city_en,
    d.province_zh,
    d.province_en,
    coalesce(r.figures, 0) as figures,
    r.report_titles_zh,
    r.report_titles_en,
    r.report_periods,
    r.source_ids,
from districts as d
left join reports as r using (district_id)
order by d.name_en, d.district_id
