//! Interoperability with skopeo through the CNCF registry (started on
//! 127.0.0.1 with htpasswd auth whose password is moto's
//! GetAuthorizationToken password): what we push, skopeo copies out with
//! the same manifest digest; what skopeo pushes, we pull and verify; a
//! multi-platform index both ways; and a copy between repositories that
//! skopeo then reads.

use std::path::Path;

use ecr_tests::layouts::{index_layout, single_layout, verify_layout};
use ecr_tests::registry::{MOTO_PASSWORD, skopeo_async, temp_dir};
use ecr_tests::registry_env::{RegistryEnv, case_passed};
use ecr_tests::sha256_digest;
use ecrkit::copy::{CopyDestination, CopySource, ImageCopy};
use ecrkit::pull::ImagePull;
use ecrkit::push::{ImagePush, ImageSource};
use ecrkit::registry::Transport;

const MIB: usize = 1 << 20;

fn creds() -> String {
    format!("AWS:{MOTO_PASSWORD}")
}

fn docker_ref(env: &RegistryEnv, repo: &str, tag: &str) -> String {
    format!("docker://{}/{repo}:{tag}", env.registry.host)
}

fn oci_ref(dir: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", dir.display())
}

/// skopeo's view of a manifest: `inspect --raw`, and its digest.
async fn skopeo_raw(env: &RegistryEnv, repo: &str, tag: &str) -> (Vec<u8>, String) {
    let out = skopeo_async(vec![
        "inspect".into(),
        "--raw".into(),
        "--tls-verify=false".into(),
        "--creds".into(),
        creds(),
        docker_ref(env, repo, tag),
    ])
    .await;
    let digest = sha256_digest(&out.stdout);
    (out.stdout, digest)
}

async fn skopeo_copy(args: &[&str]) {
    // Digests kept as they are: skopeo would otherwise compress the
    // uncompressed layers of these layouts, rewriting the manifest.
    let mut all = vec![
        "copy".to_owned(),
        "--quiet".to_owned(),
        "--preserve-digests".to_owned(),
    ];
    if args.last().is_some_and(|a| a.starts_with("oci:")) {
        all.push("--dest-oci-accept-uncompressed-layers".to_owned());
    }
    all.extend(args.iter().map(|a| (*a).to_owned()));
    skopeo_async(all).await;
}

async fn push_registry(env: &RegistryEnv, repo: &str, layout: &Path) -> ecrkit::push::PushedImage {
    let mut push = ImagePush::new(repo);
    push.transport = Transport::Registry;
    push.registry = Some(env.direct().await);
    push.push(&env.client, &ImageSource::OciLayout(layout.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("push {repo}: {e}\n{}", env.registry.log()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_we_push_skopeo_copies_out_with_the_same_digest() {
    let env = RegistryEnv::start();
    let dir = temp_dir("ours");
    let digest = single_layout(&dir, "1.0", &[MIB, 3 * MIB + 17, 7 * MIB], 1);
    let pushed = push_registry(&env, "interop/ours", &dir).await;
    assert_eq!(pushed.digest, digest);
    assert_eq!(pushed.transport, Transport::Registry);
    assert_eq!((pushed.blobs_pushed, pushed.blobs_present), (4, 0));

    let (raw, seen) = skopeo_raw(&env, "interop/ours", "1.0").await;
    assert_eq!(
        seen, digest,
        "skopeo sees the manifest we pushed, byte for byte"
    );
    assert_eq!(raw, pushed.manifest.as_ref());
    let out = temp_dir("skopeo-out");
    skopeo_copy(&[
        "--src-tls-verify=false",
        "--src-creds",
        &creds(),
        &docker_ref(&env, "interop/ours", "1.0"),
        &oci_ref(&out, "1.0"),
    ])
    .await;
    let (copied, blobs) = verify_layout(&out, "1.0");
    assert_eq!(copied, digest, "skopeo's copy keeps the digest");
    let (_, ours) = verify_layout(&dir, "1.0");
    assert_eq!(blobs, ours, "skopeo copied out every blob we pushed");

    // A second push finds everything there.
    let again = push_registry(&env, "interop/ours", &dir).await;
    assert_eq!((again.blobs_pushed, again.blobs_present), (0, 4));
    case_passed("what_we_push_skopeo_copies_out_with_the_same_digest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_skopeo_pushes_we_pull_and_verify() {
    let env = RegistryEnv::start();
    let src = temp_dir("skopeo-src");
    single_layout(&src, "v2", &[2 * MIB, 5 * MIB + 3], 2);
    skopeo_copy(&[
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds(),
        &oci_ref(&src, "v2"),
        &docker_ref(&env, "interop/theirs", "v2"),
    ])
    .await;
    let (_, theirs) = skopeo_raw(&env, "interop/theirs", "v2").await;

    let out = temp_dir("pulled");
    let mut pull = ImagePull::new("interop/theirs", "v2");
    pull.transport = Transport::Registry;
    pull.registry = Some(env.direct().await);
    let pulled = pull.pull(&env.client, &out).await.expect("pull");
    assert_eq!(pulled.digest, theirs);
    assert_eq!(pulled.transport, Transport::Registry);
    assert_eq!(pulled.blobs_fetched, 3);
    let (digest, blobs) = verify_layout(&out, "v2");
    assert_eq!(digest, theirs);
    assert_eq!(blobs.len(), 4);
    // skopeo reads the layout we wrote.
    let inspected = skopeo_async(vec!["inspect".into(), "--raw".into(), oci_ref(&out, "v2")]).await;
    assert_eq!(sha256_digest(&inspected.stdout), theirs);

    // Pulled again into the same layout: every blob verified in place.
    let again = pull.pull(&env.client, &out).await.expect("pull again");
    assert_eq!((again.blobs_fetched, again.blobs_present), (0, 3));
    case_passed("what_skopeo_pushes_we_pull_and_verify");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_platform_index_goes_both_ways() {
    let env = RegistryEnv::start();
    // Ours to skopeo.
    let dir = temp_dir("index-ours");
    let index = index_layout(&dir, "multi", 3);
    let pushed = push_registry(&env, "interop/index", &dir).await;
    assert_eq!(pushed.digest, index);
    assert_eq!(pushed.platform_manifests.len(), 2);
    // Two platforms sharing a base layer: 2 configs, 3 + 3 layers, 1 shared.
    assert_eq!(pushed.blobs_pushed, 7);
    let (_, seen) = skopeo_raw(&env, "interop/index", "multi").await;
    assert_eq!(seen, index);
    let out = temp_dir("index-skopeo-out");
    skopeo_copy(&[
        "--all",
        "--src-tls-verify=false",
        "--src-creds",
        &creds(),
        &docker_ref(&env, "interop/index", "multi"),
        &oci_ref(&out, "multi"),
    ])
    .await;
    let (copied, blobs) = verify_layout(&out, "multi");
    assert_eq!(copied, index);
    assert_eq!(blobs, verify_layout(&dir, "multi").1);

    // Skopeo's to us.
    let src = temp_dir("index-theirs");
    let theirs = index_layout(&src, "multi2", 4);
    skopeo_copy(&[
        "--all",
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds(),
        &oci_ref(&src, "multi2"),
        &docker_ref(&env, "interop/index2", "multi2"),
    ])
    .await;
    let (_, pushed_by_skopeo) = skopeo_raw(&env, "interop/index2", "multi2").await;
    assert_eq!(pushed_by_skopeo, theirs);
    let pulled_dir = temp_dir("index-pulled");
    let mut pull = ImagePull::new("interop/index2", "multi2");
    pull.transport = Transport::Registry;
    pull.registry = Some(env.direct().await);
    let pulled = pull
        .pull(&env.client, &pulled_dir)
        .await
        .expect("pull index");
    assert_eq!(pulled.digest, theirs);
    assert_eq!(pulled.platform_manifests.len(), 2);
    let (digest, blobs) = verify_layout(&pulled_dir, "multi2");
    assert_eq!(digest, theirs);
    assert_eq!(
        blobs,
        verify_layout(&src, "multi2").1,
        "the index, both platforms, every blob"
    );
    case_passed("a_multi_platform_index_goes_both_ways");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_between_repositories_mounts_and_skopeo_reads_it() {
    let env = RegistryEnv::start();
    let src = temp_dir("copy-src");
    let digest = single_layout(&src, "1", &[MIB, 2 * MIB], 5);
    skopeo_copy(&[
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds(),
        &oci_ref(&src, "1"),
        &docker_ref(&env, "copy/from", "1"),
    ])
    .await;
    let registry = env.direct().await;
    let copy = ImageCopy::new(
        CopySource::Registry {
            client: registry.clone(),
            repository: "copy/from".into(),
        },
        Some("1".into()),
        CopyDestination::Registry {
            client: registry.clone(),
            repository: "copy/to".into(),
        },
    );
    let copied = copy.copy().await.expect("copy");
    assert_eq!(copied.digest, digest);
    assert_eq!(copied.tag.as_deref(), Some("1"));
    assert_eq!(
        (
            copied.blobs_mounted,
            copied.blobs_copied,
            copied.blobs_present
        ),
        (3, 0, 0),
        "the registry mounts every blob across repositories"
    );
    let (_, seen) = skopeo_raw(&env, "copy/to", "1").await;
    assert_eq!(seen, digest);
    let out = temp_dir("copy-out");
    skopeo_copy(&[
        "--src-tls-verify=false",
        "--src-creds",
        &creds(),
        &docker_ref(&env, "copy/to", "1"),
        &oci_ref(&out, "1"),
    ])
    .await;
    assert_eq!(verify_layout(&out, "1").0, digest);
    case_passed("a_copy_between_repositories_mounts_and_skopeo_reads_it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_with_bearer_tokens_is_pushed_pulled_and_copied_from() {
    use ecr_tests::bearer::BearerGate;
    use ecr_tests::proxy::Proxy;
    use ecr_tests::registry::Registry;
    use ecrkit::registry::{RegistryClient, RegistryCredentials};

    let env = RegistryEnv::start();
    let open = Registry::start_open();
    let gate = BearerGate::new(Some("hub-user:hub-secret"));
    let hub = Proxy::start(&open.endpoint, gate.clone());
    let client = RegistryClient::new(
        &hub.endpoint,
        RegistryCredentials::Basic {
            username: "hub-user".into(),
            password: "hub-secret".into(),
        },
    )
    .expect("client");
    let dir = temp_dir("hub");
    let digest = single_layout(&dir, "1", &[MIB, 2 * MIB], 21);
    let pushed = ImagePush::new("hub/app")
        .push_to_registry(&client, &ImageSource::OciLayout(dir.clone()))
        .await
        .expect("push behind bearer tokens");
    assert_eq!(pushed.digest, digest);
    let out = temp_dir("hub-pulled");
    let pulled = ImagePull::new("hub/app", "1")
        .pull_from_registry(&client, &out)
        .await
        .expect("pull behind bearer tokens");
    assert_eq!(verify_layout(&out, "1").0, pulled.digest);
    let issued = gate.issued.lock().unwrap().clone();
    assert!(
        issued.contains(&vec!["repository:hub/app:pull,push".to_owned()]),
        "{issued:?}"
    );
    assert!(
        issued.contains(&vec!["repository:hub/app:pull".to_owned()]),
        "{issued:?}"
    );
    assert!(issued.len() <= 3, "tokens are cached per scope: {issued:?}");

    // skopeo reads it through the same gate.
    let inspected = skopeo_async(vec![
        "inspect".into(),
        "--raw".into(),
        "--tls-verify=false".into(),
        "--creds".into(),
        "hub-user:hub-secret".into(),
        format!(
            "docker://{}/hub/app:1",
            hub.endpoint.trim_start_matches("http://")
        ),
    ])
    .await;
    assert_eq!(sha256_digest(&inspected.stdout), digest);

    // Copied from the bearer registry into ECR's registry endpoint.
    let copy = ImageCopy::new(
        CopySource::Registry {
            client: client.clone(),
            repository: "hub/app".into(),
        },
        Some("1".into()),
        CopyDestination::Registry {
            client: env.ecr().await,
            repository: "mirror/app".into(),
        },
    );
    let copied = copy.copy().await.expect("copy");
    assert_eq!(copied.digest, digest);
    assert_eq!(copied.blobs_copied, 3);
    let (_, seen) = skopeo_raw(&env, "mirror/app", "1").await;
    assert_eq!(seen, digest);

    // A wrong password: the token service's refusal, said clearly.
    let wrong = RegistryClient::new(
        &hub.endpoint,
        RegistryCredentials::Basic {
            username: "hub-user".into(),
            password: "nope".into(),
        },
    )
    .unwrap();
    let err = wrong.get_manifest("hub/app", "1").await.unwrap_err();
    assert!(
        err.to_string().contains("token service answered HTTP 401"),
        "{err}"
    );
    case_passed("a_registry_with_bearer_tokens_is_pushed_pulled_and_copied_from");
}
