//! The Amazon ECR API, declared with the macros.
