//! Attribute macros that run an `async fn` on an Eddy runtime:
//! `#[eddy::main]` and `#[eddy::test]` (use them through the `eddy` crate,
//! which re-exports them).
//!
//! Both accept `flavor = "current_thread" | "multi_thread"` and
//! `worker_threads = N` (multi-thread only). `#[eddy::main]` defaults to
//! the multi-thread runtime (as `Runtime::new` and tokio do);
//! `#[eddy::test]` defaults to the current-thread runtime (a test is small
//! and deterministic on one thread). The expansion builds a runtime with
//! `eddy::runtime::Builder` and `block_on`s the function's body:
//!
//! ```text
//! #[eddy::main]                     fn main() {
//! async fn main() { body }    =>        Builder::new_multi_thread().build()
//!                                           .expect(..).block_on(async { body })
//!                                   }
//! ```
//!
//! Wrong arguments are compile errors pointing at the argument.
#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::undocumented_unsafe_blocks
)]
#![forbid(unsafe_code)]

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ItemFn, Lit, MetaNameValue, ReturnType, Token};

/// Runs `async fn main` on an Eddy runtime. See the `eddy` crate's docs.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args.into(), item.into(), Kind::Main)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

/// Runs an `async fn` test on its own Eddy runtime. See the `eddy` crate's
/// docs.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args.into(), item.into(), Kind::Test)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Main,
    Test,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Main => "eddy::main",
            Kind::Test => "eddy::test",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

struct Config {
    flavor: Flavor,
    worker_threads: Option<(usize, Span)>,
}

fn parse_args(args: TokenStream2, kind: Kind) -> syn::Result<Config> {
    let args = Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse2(args)?;
    let mut flavor = None;
    let mut worker_threads = None;
    for arg in args {
        let name = arg
            .path
            .get_ident()
            .map(|i| i.to_string())
            .unwrap_or_default();
        match name.as_str() {
            "flavor" => {
                if flavor.is_some() {
                    return Err(syn::Error::new(arg.span(), "`flavor` is given twice"));
                }
                let value = string_value(&arg.value, "flavor")?;
                flavor = Some(match value.as_str() {
                    "current_thread" => Flavor::CurrentThread,
                    "multi_thread" => Flavor::MultiThread,
                    other => {
                        return Err(syn::Error::new(
                            arg.value.span(),
                            format!(
                                "unknown flavor `{other}`: expected \"current_thread\" or \"multi_thread\""
                            ),
                        ));
                    }
                });
            }
            "worker_threads" => {
                if worker_threads.is_some() {
                    return Err(syn::Error::new(
                        arg.span(),
                        "`worker_threads` is given twice",
                    ));
                }
                let n = int_value(&arg.value, "worker_threads")?;
                if n == 0 {
                    return Err(syn::Error::new(
                        arg.value.span(),
                        "`worker_threads` must be at least 1",
                    ));
                }
                worker_threads = Some((n, arg.value.span()));
            }
            _ => {
                return Err(syn::Error::new(
                    arg.path.span(),
                    format!(
                        "unknown argument to #[{}]: expected `flavor` or `worker_threads`",
                        kind.name()
                    ),
                ));
            }
        }
    }
    let flavor = flavor.unwrap_or(match kind {
        Kind::Main => Flavor::MultiThread,
        Kind::Test => Flavor::CurrentThread,
    });
    if let (Flavor::CurrentThread, Some((_, span))) = (flavor, worker_threads) {
        return Err(syn::Error::new(
            span,
            "`worker_threads` only applies to flavor = \"multi_thread\"",
        ));
    }
    Ok(Config {
        flavor,
        worker_threads,
    })
}

fn string_value(expr: &Expr, what: &str) -> syn::Result<String> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.value()),
        _ => Err(syn::Error::new(
            expr.span(),
            format!("`{what}` takes a string, e.g. {what} = \"current_thread\""),
        )),
    }
}

fn int_value(expr: &Expr, what: &str) -> syn::Result<usize> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse::<usize>(),
        _ => Err(syn::Error::new(
            expr.span(),
            format!("`{what}` takes an integer, e.g. {what} = 4"),
        )),
    }
}

fn expand(args: TokenStream2, item: TokenStream2, kind: Kind) -> syn::Result<TokenStream2> {
    let config = parse_args(args, kind)?;
    let mut func: ItemFn = syn::parse2(item)?;
    let sig = &mut func.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            format!("#[{}] needs an `async fn`", kind.name()),
        ));
    }
    if !sig.inputs.is_empty() {
        return Err(syn::Error::new(
            sig.inputs.span(),
            format!("a #[{}] function takes no arguments", kind.name()),
        ));
    }
    if kind == Kind::Main && sig.ident == "main" && !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "main cannot be generic",
        ));
    }
    sig.asyncness = None;
    let output_type = match &sig.output {
        ReturnType::Default => quote! { () },
        ReturnType::Type(_, ty) => quote! { #ty },
    };
    let builder = match config.flavor {
        Flavor::CurrentThread => quote! { ::eddy::__private::Builder::new_current_thread() },
        Flavor::MultiThread => {
            let workers = config.worker_threads.map(|(n, span)| {
                quote_spanned! { span=> .worker_threads(#n) }
            });
            quote! { ::eddy::__private::Builder::new_multi_thread() #workers }
        }
    };
    let body = &func.block;
    let new_body = quote! {
        {
            let body = async move #body;
            let body: ::std::pin::Pin<&mut dyn ::std::future::Future<Output = #output_type>> =
                ::std::pin::pin!(body);
            #builder
                .build()
                .unwrap_or_else(|e| panic!("failed to start the eddy runtime: {e}"))
                .block_on(body)
        }
    };
    func.block = syn::parse2(new_body)?;
    let test_attr = match kind {
        Kind::Test => quote! { #[::core::prelude::v1::test] },
        Kind::Main => quote! {},
    };
    Ok(quote! {
        #test_attr
        #func
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(args: TokenStream2, item: TokenStream2) -> String {
        match expand(args, item, Kind::Main) {
            Ok(out) => panic!("expected an error, got {out}"),
            Err(e) => e.to_string(),
        }
    }

    #[::core::prelude::v1::test]
    fn main_defaults_to_multi_thread_and_test_to_current_thread() {
        let test = expand(quote! {}, quote! { async fn t() {} }, Kind::Test)
            .unwrap()
            .to_string();
        assert!(test.contains("new_current_thread"), "{test}");
        let out = expand(
            quote! {},
            quote! { async fn main() { work().await } },
            Kind::Main,
        )
        .unwrap()
        .to_string();
        assert!(out.contains("new_multi_thread"), "{out}");
        assert!(out.contains("block_on"), "{out}");
        assert!(!out.contains("async fn"), "{out}");
    }

    #[::core::prelude::v1::test]
    fn expands_a_multi_thread_test_with_workers() {
        let out = expand(
            quote! { flavor = "multi_thread", worker_threads = 4 },
            quote! { async fn t() {} },
            Kind::Test,
        )
        .unwrap()
        .to_string();
        assert!(out.contains("new_multi_thread"), "{out}");
        assert!(out.contains("worker_threads (4usize)"), "{out}");
        assert!(out.contains("test"), "{out}");
    }

    #[::core::prelude::v1::test]
    fn rejects_wrong_arguments_with_clear_messages() {
        let item = quote! { async fn main() {} };
        assert!(
            error(quote! { flavor = "single" }, item.clone()).contains("unknown flavor `single`")
        );
        assert!(error(quote! { flavor = 3 }, item.clone()).contains("takes a string"));
        assert!(error(quote! { threads = 3 }, item.clone()).contains("unknown argument"));
        assert!(
            error(
                quote! { flavor = "current_thread", worker_threads = 2 },
                item.clone()
            )
            .contains("only applies")
        );
        assert!(
            error(
                quote! { flavor = "multi_thread", worker_threads = 0 },
                item.clone()
            )
            .contains("at least 1")
        );
        assert!(
            error(
                quote! { flavor = "multi_thread", worker_threads = "2" },
                item.clone()
            )
            .contains("takes an integer")
        );
        assert!(
            error(
                quote! { flavor = "current_thread", flavor = "current_thread" },
                item
            )
            .contains("given twice")
        );
    }

    #[::core::prelude::v1::test]
    fn rejects_non_async_and_arguments() {
        assert!(error(quote! {}, quote! { fn main() {} }).contains("needs an `async fn`"));
        assert!(
            error(quote! {}, quote! { async fn main(x: u8) {} }).contains("takes no arguments")
        );
    }
}
