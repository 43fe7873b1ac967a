//! Work on every core for many small, independent items (parsing one block,
//! writing one cache file), in order, with no thread pool kept between calls.

/// Stack for the pipeline's threads: parsing is recursive, and although
/// snippets nested past `analyze::MAX_NESTING` are never parsed, the limit
/// leaves headroom.
pub const PIPELINE_STACK: usize = 64 * 1024 * 1024;

/// `items` mapped by `f` on every core, in order. For independent items
/// (parsing one block) that are small and many. The calling thread works too,
/// so a thread that cannot be started only makes it slower.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 || items.len() < 64 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = items.get(at) else { break };
            done.push((at, f(item)));
        }
        done
    };
    let mut results = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(PIPELINE_STACK)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut results = work();
        for helper in helpers {
            match helper.join() {
                Ok(done) => results.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    });
    results.sort_unstable_by_key(|(at, _)| *at);
    results.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::parallel_map;

    #[test]
    fn parallel_map_keeps_the_order() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled = parallel_map(&items, |n| n * 2);
        assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert_eq!(parallel_map(&items[..3], |n| n + 1), [1, 2, 3]);
        assert!(parallel_map(&[] as &[u32], |n| *n).is_empty());
    }
}
