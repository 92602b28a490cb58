// A counter moved by $by; a new one gets an epoch ($epoch, random): a database emptied
// and written again does not repeat a (value, epoch) pair that readers have seen.
MERGE (m:Meta {key: $key}) ON CREATE SET m.value = 0, m.epoch = $epoch
SET m.value = m.value + $by RETURN m.value AS value
