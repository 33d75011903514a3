//! An ECR token that expires partway through a push: the registry answers
//! 401 for it, the client calls `GetAuthorizationToken` again, and the
//! push goes on from where it was, without starting its blobs over.

use ecr_tests::client_for;
use ecr_tests::layouts::single_layout;
use ecr_tests::proxy::Proxy;
use ecr_tests::registry::{MOTO_PASSWORD, Registry, temp_dir};
use ecr_tests::registry_faults::RegistryFaults;
use ecr_tests::token_rotation::TokenRotation;
use ecr_tests::{Moto, ecr_registry::EcrRules};
use ecrkit::push::ImagePush;
use ecrkit::registry::{
    BlobOutcome, FileBlob, MIN_CHUNK, PushBlob, RegistryClient, Transport, UploadMode,
};

use crate::harness::{MIB, blobs_of, bytes_lost, part_line, push_image_until_done};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_expires_mid_push_is_replaced_and_the_push_goes_on() {
    let moto = Moto::start();
    let registry = Registry::start(MOTO_PASSWORD);
    let ecr_proxy = Proxy::start(&registry.endpoint, EcrRules::new());
    let rotation = TokenRotation::new();
    let faults = RegistryFaults::new(Box::new(|_| None), Some(rotation.clone()));
    let proxy = Proxy::start(&ecr_proxy.endpoint, faults.clone());
    let tokens = Proxy::start(&moto.endpoint, rotation.clone());
    let api = client_for(&tokens.endpoint);
    let client = RegistryClient::for_ecr(&api, None, Some(&proxy.endpoint))
        .await
        .expect("a registry client");
    assert_eq!(rotation.fetches(), 1);

    // A 20 MiB blob in four 5 MiB chunks: the token expires after the HEAD,
    // the POST and the first PATCH, so the second PATCH is refused.
    let layout = temp_dir("faults-token");
    let digest = single_layout(&layout, "t", &[4 * MIN_CHUNK as usize, MIB], 61);
    let blobs = blobs_of(&layout, &digest);
    let (layer, size) = blobs[1].clone();
    let blob = FileBlob {
        path: layout
            .join("blobs/sha256")
            .join(layer.trim_start_matches("sha256:")),
        start: 0,
        len: size,
    };
    rotation.expire_after(3);
    let mut push = PushBlob::new("faults/token", Some(layer.clone()), size);
    push.mode = UploadMode::Chunked {
        chunk_size: MIN_CHUNK,
    };
    let done = push.push(&client, &blob).await.expect("the push goes on");
    assert_eq!(done.outcome, BlobOutcome::Uploaded);
    assert_eq!(done.digest, layer);
    assert_eq!(done.recoveries, 1, "one resend, after the 401");
    assert_eq!(rotation.refused(), 1, "one request refused");
    assert_eq!(rotation.fetches(), 2, "one GetAuthorizationToken more");
    assert_eq!(rotation.generation(), 1);
    let methods = faults.methods();
    assert_eq!(
        methods.get("POST"),
        Some(&1),
        "the upload never started over"
    );
    // (Requests admitted: the refused one is not counted here.)
    assert_eq!(methods.get("PATCH"), Some(&4), "each chunk committed once");

    // The rest of the image, with a token that expires again on the way.
    rotation.expire_after(2);
    let mut image = ImagePush::new("faults/token");
    image.transport = Transport::Registry;
    image.registry = Some(client.clone());
    let runs = push_image_until_done(&image, &api, &layout).await;
    assert_eq!(runs, 1, "the image push needed no second run");
    assert_eq!(rotation.fetches(), 3);
    assert!(
        rotation.refused() >= 2,
        "refused again: {}",
        rotation.refused()
    );
    assert_eq!(
        faults.methods().get("POST"),
        Some(&3),
        "config and last layer"
    );

    // What the registry holds, read with its own password.
    let direct = RegistryClient::for_ecr(&moto.client(), None, Some(&registry.endpoint))
        .await
        .expect("a direct client");
    let mut lost = 0;
    for (blob, size) in &blobs {
        lost += bytes_lost(&registry.endpoint, "faults/token", blob, *size).await;
    }
    let manifest = direct
        .get_manifest("faults/token", "t")
        .await
        .expect("the manifest");
    assert_eq!(manifest.digest, digest);
    assert_eq!(lost, 0);
    println!(
        "token expiry: {} refusals, {} GetAuthorizationToken calls, requests by method {:?}",
        rotation.refused(),
        rotation.fetches(),
        faults.methods()
    );
    part_line("registry", rotation.refused(), 2, 0, lost);
    let _ = std::fs::remove_dir_all(&layout);
}
