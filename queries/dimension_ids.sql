-- grain: one row per id of one dimension table (districts, concepts, metrics or sources)
-- params: $kind
select district_id as id, from districts where $kind = 'districts'
union all
select concept_id, from concepts where $kind = 'concepts'
union all
select metric_id, from metrics where $kind = 'metrics'
union all
select source_id, from sources where $kind = 'sources'
