"""The fixed world the generator draws from: regions, brands and orgs, names, statuses,
and the shares of rings, bans and noise."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

SOURCE_SAMPLE_RINGS = 1000
SOURCE_SAMPLE_OTHERS = 2000
RING_SHARE = 0.55
BANNED_SHARE = 0.012
RECIDIVIST_SHARE = 0.6
# Default noise. Louvain merges two small communities joined by a single edge once the
# graph has more than ~30k relations, so cross-ring edges are kept rare: each one is
# likely to fuse two planted rings.
NOISE_SHARED_IDENTIFIER = 0.02  # independent sellers using an unrelated seller's identifier
NOISE_CROSS_RING_SHIPS = 0.002  # ring storefronts shipping from another ring's warehouse
NOISE_CROSS_RING_ASSOCIATE = 0.0015  # ring sellers ASSOCIATED_WITH a seller of another ring
# Ring listings (not in the ring-detection graph) sometimes ship from a public warehouse
# too; ring storefronts and warehouses keep to the ring's own supply chain.
RING_LISTING_PUBLIC = 0.1

# (region, planted weight, country calling code, towns): a long tail after the big three.
REGIONS: tuple[tuple[str, float, str, tuple[str, ...]], ...] = (
    ("Pearl River Delta", 0.30, "86", ("Guangzhou", "Shenzhen", "Dongguan", "Foshan")),
    ("Yangtze River Delta", 0.20, "86", ("Yiwu", "Shanghai", "Suzhou", "Ningbo")),
    ("Southeast China", 0.14, "86", ("Putian", "Jinjiang", "Quanzhou", "Xiamen")),
    ("Bohai Rim", 0.08, "86", ("Tianjin", "Qingdao", "Dalian")),
    ("Central China", 0.06, "86", ("Wuhan", "Zhengzhou", "Changsha")),
    ("Southwest China", 0.045, "86", ("Chengdu", "Chongqing")),
    ("Northern Vietnam", 0.035, "84", ("Hanoi", "Hai Phong")),
    ("Istanbul", 0.03, "90", ("Istanbul",)),
    ("Bangkok Metropolitan", 0.025, "66", ("Bangkok", "Samut Prakan")),
    ("Dubai", 0.02, "971", ("Dubai",)),
    ("Hong Kong", 0.012, "852", ("Kowloon", "Tsuen Wan")),
    ("Karachi", 0.01, "92", ("Karachi",)),
    ("Mumbai", 0.009, "91", ("Mumbai", "Thane")),
    ("Jakarta", 0.008, "62", ("Jakarta", "Bekasi")),
    ("Kuala Lumpur", 0.007, "60", ("Kuala Lumpur",)),
    ("Northeast China", 0.006, "86", ("Shenyang", "Harbin")),
    ("Ciudad del Este", 0.005, "595", ("Ciudad del Este",)),
    ("Lagos", 0.005, "234", ("Lagos",)),
)

# (org id, name, products): the brand orgs, in the order orgs() takes them.
_BRANDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("stridewell", "Stridewell", ("Aero Pace 3 running shoes", "Trail Surge GTX", "Velo Knit")),
    ("maison-verel", "Maison Verel", ("Celeste tote", "Rivoli clutch", "Monogram weekender")),
    ("voltra", "Voltra", ("PowerCell 20000 power bank", "AirLoop earbuds", "65W GaN charger")),
    ("kestrel-optics", "Kestrel Optics", ("Falcon aviator sunglasses", "Shoreline polarised")),
    ("aurelle", "Aurelle Beauty", ("Lumiere serum 30ml", "Velvet matte lipstick")),
    ("calyx", "Calyx Watches", ("Heritage chronograph", "Diver 300 automatic")),
    ("norden-toys", "Norden Toys", ("Brick Explorer set", "Arctic fox plush")),
    ("tessaro", "Tessaro", ("Alpine puffer jacket", "Logo hoodie")),
)
PLATFORM = "bazaarhub"
REGULATOR = "ipcu"

_WORDS = (
    "Hengda", "Xinyu", "Jinfeng", "Longsheng", "Meihua", "Ruixiang", "Tianli", "Yongfa",
    "Haoyun", "Baixing", "Fuxing", "Kaida", "Minghui", "Shengtai", "Wanjia", "Zhongxin",
)
_TRADES = ("Trading Co.", "Sports Goods", "E-commerce Ltd.", "Import & Export", "Supply Chain")
_SHOPS = ("Outlet", "Official Store", "Discount Hub", "Flagship", "Deals", "Factory Shop")
_STREETS = ("Xinhua Rd", "Industrial Ave", "Gongye Rd", "Renmin Rd", "Binhai Blvd", "Jiefang Rd")
_MAILS = ("163.com", "qq.com", "gmail.com", "outlook.com", "proton.me")
_SELLER_STATUS = ("ACTIVE",) * 16 + ("WARNED", "WARNED", "RESTRICTED")
_LISTING_STATUS = ("LIVE",) * 7 + ("NOTIFIED", "NOTIFIED", "DELISTED")
_SITE_STATUS = ("OPERATING",) * 8 + ("RAIDED", "CLOSED")


def orgs(brands: int = 6) -> list[dict[str, Any]]:
    """The orgs the generated reports use: ``brands`` brands, the platform, the regulator.

    >>> [o["id"] for o in orgs(2)]
    ['stridewell', 'maison-verel', 'bazaarhub', 'ipcu']
    """
    if not 1 <= brands <= len(_BRANDS):
        raise ValueError(f"brands must be between 1 and {len(_BRANDS)}")
    out = [
        {"id": oid, "name": name, "type": "BRAND", "trusted": oid == "stridewell"}
        for oid, name, _ in _BRANDS[:brands]
    ]
    out.append({"id": PLATFORM, "name": "BazaarHub", "type": "PLATFORM", "trusted": False})
    out.append({"id": REGULATOR, "name": "IP Crime Unit", "type": "REGULATOR", "trusted": False})
    return out


def _name(org: str) -> str:
    return next(name for oid, name, _ in _BRANDS if oid == org)
