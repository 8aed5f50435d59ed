"""The Label Studio round trip: the labeling config derived from the ontology (config), a local server
(server), push and pull (sync), and the conversion of Label Studio results into corpus records (convert)."""
