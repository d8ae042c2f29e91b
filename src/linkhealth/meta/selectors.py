"""Where each field is looked for, as data. The logic lives in :mod:`linkhealth.meta.fields`.

``<meta>`` keys are the lower-cased ``property`` or ``name`` attribute (sites mix
the two for Open Graph and Twitter tags); ``itemprop:`` and ``http-equiv:``
prefix the other attribute kinds. The first key in a tuple that has a non-empty
value wins.
"""

from __future__ import annotations

TITLE_META = ("og:title", "twitter:title")
TITLE_JSONLD_KEYS = ("headline", "name")

DESCRIPTION_META = ("og:description", "twitter:description", "description")
DESCRIPTION_JSONLD_KEYS = ("description",)

SITE_NAME_META = ("og:site_name", "application-name", "apple-mobile-web-app-title")

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
TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " · ", " • ", " :: ", " » ", " « ", " / ", " : ")

# A paragraph used as a description must have at least this many characters.
PARAGRAPH_MIN_CHARS = 80
PARAGRAPH_MAX_SCANNED = 30

HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml")
PDF_CONTENT_TYPES = ("application/pdf", "application/x-pdf")
