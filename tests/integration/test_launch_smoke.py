from tests.support.platform import TestPlatform


def test_canvas_launch_lands_on_the_pod(client, platform: TestPlatform):
    response = platform.launch(client)
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get(response.headers["Location"], base_url="https://pods.test")
    assert page.status_code == 200, page.get_data(as_text=True)
    assert "Budget Balancing" in page.get_data(as_text=True)
