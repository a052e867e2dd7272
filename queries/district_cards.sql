-- grain: one row per place, with the reports and periods its figures come from and how many
-- params: $snapshot_id
with reports as (
    select
        f.district_id,
        sum(f.figures)::bigint as figures,
        string_agg(s.title_zh, ' / ' order by s.source_id) as report_titles_zh,
        string_agg(s.title_en, ' / ' order by s.source_id) as report_titles_en,
        string_agg(s.period_label, ' / ' order by s.source_id) as report_periods,
        string_agg(s.source_id, ',' order by s.source_id) as source_ids,
    from district_source_figures as f
    join sources as s using (source_id)
    where f.snapshot_id = $snapshot_id
    group by f.district_id
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
order by d.name_en
