"""Where an endpoint processes data and whose law governs its operator, as containment chains.

A policy allows a location when any link of the endpoint's chain is listed: a `francecentral` regional deployment
is inside `FR`, `EU` and `GLOBAL`; a Data Zone EU deployment is only inside `EU` and `GLOBAL` (it may process in
any EU region); a Global deployment is only inside `GLOBAL`. Unknown regions only match when listed by name.
"""

from __future__ import annotations

EU_COUNTRIES = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())

# Azure regions in or near Europe and a few others, by country (processing location of a regional deployment).
AZURE_REGIONS: dict[str, str] = {
    "francecentral": "FR",
    "francesouth": "FR",
    "germanywestcentral": "DE",
    "germanynorth": "DE",
    "italynorth": "IT",
    "polandcentral": "PL",
    "spaincentral": "ES",
    "swedencentral": "SE",
    "swedensouth": "SE",
    "westeurope": "NL",
    "northeurope": "IE",
    "austriaeast": "AT",
    "belgiumcentral": "BE",
    "denmarkeast": "DK",
    "switzerlandnorth": "CH",
    "switzerlandwest": "CH",
    "norwayeast": "NO",
    "uksouth": "GB",
    "ukwest": "GB",
    "eastus": "US",
    "eastus2": "US",
    "westus": "US",
    "westus3": "US",
    "northcentralus": "US",
    "southcentralus": "US",
}

GLOBAL = "GLOBAL"


def country_chain(code: str) -> tuple[str, ...]:
    code = code.upper()
    if code == GLOBAL:
        return (GLOBAL,)
    if code in EU_COUNTRIES:
        return (code, "EU", GLOBAL)
    return (code, GLOBAL)


def jurisdiction_chain(jurisdiction: str) -> tuple[str, ...]:
    """A French operator answers to FR and EU law; a US operator to US law wherever it runs."""
    return country_chain(jurisdiction)


def processing_chain(*, region: str, deployment_type: str, jurisdiction: str) -> tuple[str, ...]:
    if deployment_type == "global":
        return (GLOBAL,)
    if deployment_type == "datazone-eu":
        return ("EU", GLOBAL)
    if deployment_type == "datazone-us":
        return ("US", GLOBAL)
    name = region.strip()
    if not name:
        # Self-hosted without a region: it runs where its operator is.
        return country_chain(jurisdiction)
    lowered = name.lower()
    if lowered in AZURE_REGIONS:
        return (lowered, *country_chain(AZURE_REGIONS[lowered]))
    if len(name) == 2 and name.isalpha():
        return country_chain(name)
    if name.upper() == "EU":
        return ("EU", GLOBAL)
    return (lowered, GLOBAL)


def within(chain: tuple[str, ...], allowed: frozenset[str]) -> bool:
    normalised = {item.upper() for item in allowed} | {item.lower() for item in allowed}
    return any(link in normalised for link in chain)
