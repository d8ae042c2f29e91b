"""Where each field is looked for, as data. The logic lives in :mod:`linkhealth.meta.fields`.

``<meta>`` keys are the lower-cased ``property`` or ``name`` attribute (sites mix
the two for Open Graph and Twitter tags); ``itemprop:`` and ``http-equiv:``
prefix the other attribute kinds. The first key in a tuple that has a non-empty
value wins.
"""

from __future__ import annotations

# --- where a title, a description and the site's name come from, best first ---------
#
# Each chain is tried in order; a value that is not about the page (meta/notices.py)
# or that several pages of the host share (meta/sitewide.py, after the fetch) falls
# through to the next source. Why this order:
#
# 1. Open Graph (og:*): written for a person reading a share card, by the publisher,
#    almost never padded with the site name. The best single source on news, blogs,
#    shops and social sites.
# 2. twitter:*: the same text for a different card; present where og:* is not.
# 3. Highwire citation_* (arXiv, journals, institutional repositories): written for
#    indexers, exact (no "[2401.00001]" prefix, no journal name), the full abstract.
# 4. JSON-LD main entity (headline/name/description, also inside @graph): exact, but
#    search engines cap headline at 110 characters, so sites cut it; name is often
#    generic (a WebPage's name is the <title>).
# 5. Dublin Core (dc.*, DC.*, dcterms.*; keys are lower-cased): legacy CMSs and
#    repositories; often a site-wide default, which the site-wide pass catches.
# 6. <title>: always there, but carries site names, bylines and SEO padding (trimmed
#    by fields.trim_site_name).
# 7. Titles only: the <h1>, and only when there is no title at all and the page has a
#    single one (several <h1> are section headings, not the page's name).
#    Descriptions only: the meta description sits between twitter:* and citation_*
#    (it is the page's own summary, written for search results), and the first
#    paragraph of 80+ characters comes last.
TITLE_META = ("og:title", "twitter:title")
TITLE_CITATION_META = ("citation_title", "citation_journal_article_title")
TITLE_DC_META = ("dc.title", "dcterms.title", "dcterms.alternative")
TITLE_JSONLD_KEYS = ("headline", "name")

DESCRIPTION_META = ("og:description", "twitter:description", "description")
DESCRIPTION_CITATION_META = ("citation_abstract",)
DESCRIPTION_DC_META = ("dc.description", "dcterms.description", "dcterms.abstract")
DESCRIPTION_JSONLD_KEYS = ("description",)

# A page's own name for its site: used as the site_name field and to trim titles.
SITE_NAME_META = ("og:site_name", "application-name", "apple-mobile-web-app-title")
# Further names a title may carry as an affix (never reported as the site name).
SITE_AFFIX_META = (
    "twitter:site",
    "al:ios:app_name",
    "al:android:app_name",
    "twitter:app:name:iphone",
    "citation_journal_title",
    "citation_publisher",
    "dc.publisher",
    "dcterms.publisher",
)
# Author names: "Title | by Author | Site" loses the byline too.
AUTHOR_META = ("author", "article:author", "twitter:creator", "citation_author", "dc.creator")
# A title keeps at most this many fall-through candidates (compact: they ride along
# with the result until the site-wide pass).
MAX_CANDIDATES = 2

CANONICAL_LINK_RELS = ("canonical",)
CANONICAL_META = ("og:url", "twitter:url")

LANG_META = ("http-equiv:content-language", "content-language", "dc.language", "language")
LANG_LOCALE_META = ("og:locale",)

PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "itemprop:datepublished",
    "itemprop:uploaddate",
    "citation_publication_date",
    "citation_date",
    "citation_online_date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "date",
    "pubdate",
    "publish-date",
    "parsely-pub-date",
    "sailthru.date",
)
PUBLISHED_JSONLD_KEYS = ("datePublished", "uploadDate", "dateCreated")

IMAGE_META = (
    "og:image:secure_url",
    "og:image:url",
    "og:image",
    "twitter:image",
    "twitter:image:src",
    "itemprop:image",
)
IMAGE_LINK_RELS = ("image_src",)
OEMBED_LINK_RELS = ("alternate",)  # with type application/json+oembed
# Every <link> rel a field or quirk reads: a page keeps only the links naming one of them.
LINK_RELS_READ = frozenset(CANONICAL_LINK_RELS + IMAGE_LINK_RELS + OEMBED_LINK_RELS)

# JSON-LD types, best first, whose headline/name is the page's own title.
JSONLD_PAGE_TYPES = (
    "Article",
    "NewsArticle",
    "BlogPosting",
    "TechArticle",
    "ScholarlyArticle",
    "Report",
    "SocialMediaPosting",
    "DiscussionForumPosting",
    "VideoObject",
    "PodcastEpisode",
    "SoftwareSourceCode",
    "SoftwareApplication",
    "Dataset",
    "Book",
    "Course",
    "Event",
    "Recipe",
    "Product",
    "CreativeWork",
    "HowTo",
    "FAQPage",
    "QAPage",
    "ProfilePage",
    "CollectionPage",
    "AboutPage",
    "WebPage",
)
# Types whose name is the site's (or a person's), never the page title.
JSONLD_WEBSITE_TYPES = ("WebSite",)
JSONLD_SITE_TYPES = ("WebSite", "Organization", "Corporation", "NewsMediaOrganization")
JSONLD_NOT_TITLE_TYPES = (*JSONLD_SITE_TYPES, "Person", "BreadcrumbList", "ListItem", "ImageObject")
JSONLD_PUBLISHER_KEYS = ("publisher", "provider", "sourceOrganization", "isPartOf")

# Separators between a page title and the site name: "Title | Site", "Site - Title".
# ":" only with spaces around it ("Rust: a guide" is one title); "|" also bare.
TITLE_SEPARATORS = (
    " | ", " - ", " – ", " — ", " · ", " • ", " :: ", " » ", " « ", " / ", " : ", "|",
)  # fmt: skip
# Host labels that never name a site on their own ("www", a TLD is dropped by itself).
HOST_LABELS_NOT_A_NAME = ("www", "m", "en", "blog", "docs", "web", "app", "co", "com", "org")

# A paragraph used as a description must have at least this many characters.
PARAGRAPH_MIN_CHARS = 80
PARAGRAPH_MAX_SCANNED = 30
