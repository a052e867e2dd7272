-- grain: one row per id of one dimension table (districts, concepts, metrics, sources), every column, ordered by id
-- params: $kind (the table's name, checked against redengine.data.package.DIMENSIONS before it is bound)
select * from query_table($kind) order by all
