//! Paginators: an operation that answers one page at a time, walked as an
//! async stream of pages ([`Pages`]) or of the items in them ([`Items`]).
//!
//! The nine paginated ECR operations implement [`Paginated`] (generated from
//! botocore's `paginators-1.json` into [`crate::ecr::paginators`]), and have
//! `pages(&client)` and `items(&client)` methods:
//!
//! ```no_run
//! # async fn run(client: ecrkit::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use ecrkit::ecr::DescribeRepositories;
//!
//! let mut repositories = DescribeRepositories {
//!     max_results: Some(100),
//!     ..Default::default()
//! }
//! .items(&client);
//! while let Some(repository) = repositories.next().await {
//!     println!("{:?}", repository?.repository_name);
//! }
//! # Ok(()) }
//! ```
//!
//! Both types implement [`futures_core::Stream`], so the combinators of
//! `futures::StreamExt` work on them; [`Pages::next`], [`Pages::try_collect`]
//! and their [`Items`] twins cover the common cases without that crate.
//!
//! Each page is one [`Client::send`]: validated, signed and retried like any
//! call. The stream ends after the page without a next token (absent or
//! empty), or after the first error. A service that hands back a token it
//! already gave ends the stream with an error instead of looping forever, as
//! the AWS SDKs do (botocore's "The same next token was received twice").

use std::collections::{HashSet, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::StreamExt;

use crate::client::Client;
use crate::error::Error;
use crate::operation::Operation;

/// An operation whose responses come in pages: where its tokens and items
/// are. Implemented for the ECR operations by generated code; implement it
/// for an operation of your own to get the same streams.
pub trait Paginated: Operation + Clone + 'static {
    /// An item of a page (the paginator's `result_key`).
    type Item: Send + 'static;
    /// The wire name of the request's token member (`nextToken`).
    const INPUT_TOKEN: &'static str;
    /// The wire name of the response's token member (`nextToken`).
    const OUTPUT_TOKEN: &'static str;
    /// The wire name of the request's page-size member (`maxResults`).
    const LIMIT_KEY: &'static str;
    /// The wire paths of the response's item lists, in the order
    /// [`into_items`](Self::into_items) yields them.
    const RESULT_KEYS: &'static [&'static str];

    /// The token the request carries now.
    fn input_token(&self) -> Option<&str>;
    /// Sets the request's token, to ask for the page after a response.
    fn set_input_token(&mut self, token: Option<String>);
    /// Sets the page size.
    fn set_page_size(&mut self, size: i32);
    /// The response's token: where the next page starts; `None` on the last.
    fn output_token(output: &Self::Output) -> Option<&str>;
    /// The items of a page.
    fn into_items(output: Self::Output) -> Vec<Self::Item>;
}

/// What a page stream yields: a response, or the error that ended the walk.
pub type PageResult<O> = Result<<O as Operation>::Output, Error<<O as Operation>::Error>>;

/// What an item stream yields.
pub type ItemResult<O> = Result<<O as Paginated>::Item, Error<<O as Operation>::Error>>;

type BoxStream<T> = Pin<Box<dyn Stream<Item = T> + Send>>;

/// Where a walk stands between two pages.
enum Walk<O: Paginated> {
    /// The next page is to be requested with this request.
    Next {
        client: Client,
        request: O,
        seen: HashSet<String>,
    },
    /// The previous page was yielded; this error comes next, then the end.
    Fail(Error<O::Error>),
    /// Nothing more.
    Done,
}

/// The pages of a paginated operation, as a [`Stream`] of
/// `Result<Output, Error<..>>`. Made by `pages(&client)` on a request or by
/// [`Client::paginate`].
pub struct Pages<O: Paginated> {
    inner: BoxStream<PageResult<O>>,
}

impl<O: Paginated> std::fmt::Debug for Pages<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("operation", &O::NAME)
            .finish_non_exhaustive()
    }
}

impl<O: Paginated> Pages<O>
where
    O::Output: 'static,
    O::Error: 'static,
{
    /// Starts a walk at `request` (from its token, if it carries one). Nothing
    /// is sent until the stream is polled.
    pub fn new(client: &Client, request: O) -> Self {
        let mut seen = HashSet::new();
        if let Some(token) = request.input_token() {
            seen.insert(token.to_owned());
        }
        let start = Walk::Next {
            client: client.clone(),
            request,
            seen,
        };
        let inner = futures_util::stream::unfold(start, |walk| async move {
            match walk {
                Walk::Done => None,
                Walk::Fail(error) => Some((Err(error), Walk::Done)),
                Walk::Next {
                    client,
                    mut request,
                    mut seen,
                } => match client.send(&request).await {
                    Err(error) => Some((Err(error), Walk::Done)),
                    Ok(page) => {
                        let next = match O::output_token(&page).filter(|t| !t.is_empty()) {
                            None => Walk::Done,
                            Some(token) if !seen.insert(token.to_owned()) => {
                                Walk::Fail(repeated_token::<O>(token))
                            }
                            Some(token) => {
                                request.set_input_token(Some(token.to_owned()));
                                Walk::Next {
                                    client,
                                    request,
                                    seen,
                                }
                            }
                        };
                        Some((Ok(page), next))
                    }
                },
            }
        });
        Self {
            inner: Box::pin(inner),
        }
    }

    /// The next page; `None` at the end.
    pub async fn next(&mut self) -> Option<PageResult<O>> {
        StreamExt::next(self).await
    }

    /// Every remaining page, or the first error.
    pub async fn try_collect(mut self) -> Result<Vec<O::Output>, Error<O::Error>> {
        let mut pages = Vec::new();
        while let Some(page) = self.next().await {
            pages.push(page?);
        }
        Ok(pages)
    }

    /// The items of the remaining pages, one by one.
    pub fn items(self) -> Items<O> {
        Items {
            pages: self,
            buffer: VecDeque::new(),
        }
    }
}

impl<O: Paginated> Stream for Pages<O> {
    type Item = PageResult<O>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// The error that ends a walk when the service repeats a token.
fn repeated_token<O: Paginated>(token: &str) -> Error<O::Error> {
    Error::Pagination {
        message: format!(
            "{} pagination stopped: the service returned {} {token:?} a second time, \
             which would loop forever",
            O::NAME,
            O::OUTPUT_TOKEN
        ),
    }
}

/// The items of every page of a paginated operation, as a [`Stream`] of
/// `Result<Item, Error<..>>`. Made by `items(&client)` on a request or by
/// [`Pages::items`].
pub struct Items<O: Paginated> {
    pages: Pages<O>,
    buffer: VecDeque<O::Item>,
}

// Nothing is pinned in place: the page stream is boxed and the buffer is
// moved by value.
impl<O: Paginated> Unpin for Items<O> {}

impl<O: Paginated> std::fmt::Debug for Items<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("operation", &O::NAME)
            .field("buffered", &self.buffer.len())
            .finish_non_exhaustive()
    }
}

impl<O: Paginated> Items<O>
where
    O::Output: 'static,
    O::Error: 'static,
{
    /// Starts a walk at `request`; nothing is sent until the stream is polled.
    pub fn new(client: &Client, request: O) -> Self {
        Pages::new(client, request).items()
    }

    /// The next item; `None` at the end.
    pub async fn next(&mut self) -> Option<ItemResult<O>> {
        StreamExt::next(self).await
    }

    /// Every remaining item, or the first error.
    pub async fn try_collect(mut self) -> Result<Vec<O::Item>, Error<O::Error>> {
        let mut items = Vec::new();
        while let Some(item) = self.next().await {
            items.push(item?);
        }
        Ok(items)
    }
}

impl<O: Paginated> Stream for Items<O> {
    type Item = ItemResult<O>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match futures_core::ready!(this.pages.poll_next_unpin(cx)) {
                None => return Poll::Ready(None),
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                Some(Ok(page)) => this.buffer.extend(O::into_items(page)),
            }
        }
    }
}

impl Client {
    /// The pages of `request`, as a stream (the same as `request.pages(self)`).
    pub fn paginate<O: Paginated>(&self, request: O) -> Pages<O>
    where
        O::Output: 'static,
        O::Error: 'static,
    {
        Pages::new(self, request)
    }
}
