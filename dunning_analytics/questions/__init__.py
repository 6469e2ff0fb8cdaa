"""The questions the ledger answers, one module each: aging, payment behaviour, risk and
deposit flags, the cash-in forecast, the law (interest, costs), claims and the dunning
ladder. They read the ledger's SQL models and arrange them; they show nothing.
"""
