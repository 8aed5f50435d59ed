"""Research tools: agreement, adjudication, format conversion (brat, CoNLL), showing an article."""
