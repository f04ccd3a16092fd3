//! The KV cache's bookkeeping for a kernel that writes the next position in place
//! (`room_for_one` / `advance_one`, used by the attention's fused decode step on MLX CUDA),
//! on the real MLX CPU build: the buffers offered, the views returned, the end of the room.

use benchbar_mlx::cache::KvCache;
use benchbar_mlx::ops::{self, Array};

fn filled(n: usize, start: f32) -> Array {
    let data: Vec<f32> = (0..n).map(|i| start + i as f32).collect();
    Array::from_f32(&data, &[1, 2, (n / 8) as i32, 4]).unwrap()
}

#[test]
fn one_position_at_a_time_until_the_buffers_are_full() {
    let mut cache = KvCache::with_reserve(34);
    assert!(cache.room_for_one().is_none(), "nothing allocated yet");
    assert!(cache.advance_one().is_err());
    assert!(cache.advance().is_err());
    // a prefill of 3 positions: 2 kv heads of 4
    let (k, v) = cache
        .update_and_fetch(&filled(24, 0.0), &filled(24, 100.0))
        .unwrap();
    assert_eq!((k.shape(), v.shape()), (vec![1, 2, 3, 4], vec![1, 2, 3, 4]));
    let cap = cache.capacity();
    assert!(cap >= 34, "the reserve sizes the first allocation: {cap}");
    for step in 0..cap - 3 {
        let (kc, vc) = cache.room_for_one().expect("room left");
        assert_eq!(kc.shape(), vec![1, 2, cap as i32, 4]);
        assert_eq!(vc.shape(), vec![1, 2, cap as i32, 4]);
        let (k, v) = cache.advance_one().unwrap();
        let valid = (4 + step) as i32;
        assert_eq!(
            (k.shape(), v.shape()),
            (vec![1, 2, valid, 4], vec![1, 2, valid, 4])
        );
        assert_eq!(cache.offset(), valid as usize);
    }
    assert!(cache.room_for_one().is_none(), "full at {cap}");
    assert!(cache.advance_one().is_err());
    assert_eq!(cache.offset(), cap, "a refused advance counts nothing");
    // the prefilled positions are still what was written (the views share the buffers)
    let (k, _) = cache
        .update_and_fetch(&filled(8, 500.0), &filled(8, 600.0))
        .unwrap();
    let first = ops::slice(&k, &[0, 0, 0, 0], &[1, 1, 1, 4]).unwrap();
    assert_eq!(first.to_f32_vec().unwrap(), vec![0.0, 1.0, 2.0, 3.0]);
    assert_eq!(
        k.dim(2) as usize,
        cap + 1,
        "grown past the reserve by the ops path"
    );
}
