from tests.conftest import SHARED_SAMPLES, load_sample

def test_post_all(client, admin):
    for p in SHARED_SAMPLES:
        r = client.post("/api/v1/dossiers", json=load_sample(p), headers=admin)
        print(p.name, r.status_code, r.get_json().get("warnings"), r.get_json().get("error"))
