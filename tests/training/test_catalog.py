"""Reading a catalog file and deriving a minimal catalog from events."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training.catalog import derive_catalog, load_catalog
from training.events import DataError

CATALOG = """item_id,title,category,price,in_stock,brand,margin
A,Alpha mug,kitchen,12.5,yes,Acme,0.25
B,,,,,Bolt,0.4
C,Gamma lamp,lighting,30,0,,
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_catalog_keeps_extra_columns_and_fills_defaults(tmp_path):
    catalog = load_catalog(write(tmp_path / "catalog.csv", CATALOG))
    assert list(catalog.columns) == ["item_id", "title", "category", "price", "in_stock", "brand", "margin"]
    assert catalog["title"].tolist() == ["Alpha mug", "B", "Gamma lamp"]
    assert catalog["category"].tolist() == ["kitchen", "unknown", "lighting"]
    assert catalog["price"].tolist()[::2] == [12.5, 30.0] and np.isnan(catalog["price"][1])
    assert catalog["in_stock"].tolist() == [True, True, False]
    assert catalog["brand"].tolist()[:2] == ["Acme", "Bolt"] and catalog["margin"].tolist()[:2] == [0.25, 0.4]
    assert catalog["in_stock"].dtype == bool and catalog["price"].dtype == "float64"
    assert all(catalog[name].dtype == object for name in ["item_id", "title", "category"])


def test_catalog_with_only_ids_gets_every_default(tmp_path):
    catalog = load_catalog(write(tmp_path / "catalog.csv", "item_id\n10\n11\n"))
    assert catalog.drop(columns="price").to_dict("list") == {
        "item_id": ["10", "11"], "title": ["10", "11"], "category": ["unknown", "unknown"], "in_stock": [True, True],
    }
    assert catalog["price"].isna().all()


def test_catalog_column_map_and_parquet(tmp_path):
    frame = pd.DataFrame({"sku": [17850.0, 17851.0], "name": ["x", "y"], "stock": ["TRUE", "no"], "colour": ["red", "blue"]})
    frame.to_parquet(tmp_path / "catalog.parquet")
    catalog = load_catalog(tmp_path / "catalog.parquet", {"item_id": "sku", "title": "name", "in_stock": "stock"})
    assert catalog["item_id"].tolist() == ["17850", "17851"]
    assert catalog["title"].tolist() == ["x", "y"] and catalog["in_stock"].tolist() == [True, False]
    assert list(catalog.columns) == ["item_id", "title", "category", "price", "in_stock", "colour"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sku,price\nA,1\n", r"catalog\.csv: missing column 'item_id'; columns found: sku, price$"),
        ("item_id,price\nA,1\nB,cheap\n", r"catalog\.csv:3: price: non-numeric price \('cheap'\)$"),
        ("item_id,price\nA,-1\n", r"catalog\.csv:2: price: negative price \(-1\)$"),
        ("item_id,in_stock\nA,maybe\n", r"catalog\.csv:2: in_stock: not true/false \('maybe'\)$"),
        ("item_id\nA\nA\n", r"catalog\.csv:3: item_id: repeated item id \('A'\)$"),
        ("item_id,title\nA,x\n,y\n", r"catalog\.csv:3: item_id: missing item id \(empty\)$"),
        ("item_id,url\nA,/p/a\nB,javascript:alert(1)\n", r"catalog\.csv:3: url: not an http\(s\) URL or a /path"),
        ("item_id,image_url\nA,//evil.example/x.png\n", r"catalog\.csv:2: image_url: not an http\(s\) URL"),
    ],
)
def test_catalog_errors_are_one_line_with_file_and_line(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        load_catalog(write(tmp_path / "catalog.csv", text))


def test_product_links_are_mapped_from_any_column_and_kept_where_given(tmp_path):
    text = "sku,Link,Picture\nA,https://shop.example/a,https://cdn.example/a.jpg\nB,,\nC,/p/c,/img/c.png\n"
    catalog = load_catalog(write(tmp_path / "catalog.csv", text),
                           {"item_id": "sku", "url": "Link", "image_url": "Picture"})
    assert list(catalog.columns) == ["item_id", "title", "category", "price", "in_stock", "url", "image_url"]
    assert catalog["url"].tolist() == ["https://shop.example/a", None, "/p/c"]
    assert catalog["image_url"].tolist() == ["https://cdn.example/a.jpg", None, "/img/c.png"]


def test_derive_catalog_from_events():
    events = pd.DataFrame(
        {
            "item_id": pd.Series(["b", "a", "a", "a", "c"], dtype=object),
            "price": [2.0, 1.0, 3.0, 0.0, np.nan],
        }
    )
    catalog = derive_catalog(events, titles=pd.Series({"a": "Apple"}))
    assert catalog["item_id"].tolist() == ["a", "b", "c"]
    assert catalog["title"].tolist() == ["Apple", "b", "c"]
    assert catalog["price"].tolist()[:2] == [2.0, 2.0] and np.isnan(catalog["price"].iloc[2])
    assert catalog["category"].tolist() == ["unknown"] * 3 and catalog["in_stock"].all()
    assert list(derive_catalog(events).columns) == ["item_id", "title", "category", "price", "in_stock"]


def test_a_catalog_with_an_unclosed_quote_fails_instead_of_merging_lines(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text('item_id,title,price\ni1,"Mug,3.5\ni2,Plate,4.0\ni3,Bowl,5.0\n')
    with pytest.raises(DataError, match=r"catalog.csv:2: unclosed quote"):
        load_catalog(path)


def test_a_catalog_header_naming_a_column_twice_is_refused(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("item_id,price,price\ni1,3.5,4.0\n")
    with pytest.raises(DataError, match=r"catalog.csv:1: column 'price' appears more than once"):
        load_catalog(path)
