"""stacker: a stacking and ensembling engine for multi-label classification.

Data flows one way: level-0 trainers write run folders, ``oof-collect`` ingests
them into the OOF store, level-1 selects and bags models per label, level-2
stacks them with nested CV, thresholds turn probabilities into tags and the
submission stage writes a Kaggle CSV with its provenance.
"""

__version__ = "0.1.0"
