from django import template

from ..tagging import add_tags

register = template.Library()


@register.simple_tag(takes_context=True)
def cache_tag(context, *tags) -> str:
    """`{% cache_tag "article:x" obj.tag %}`: the page carries these tags too."""
    request = context.get("request")
    if request is not None:
        add_tags(request, *tags)
    return ""
