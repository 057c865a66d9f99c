//! A tiny MNIST-format dataset for the trainer's end-to-end tests (CPU and wgpu).

use std::path::Path;

/// A small MNIST-format dataset (IDX files): the class decides which rows are bright.
pub fn write_tiny_mnist(dir: &Path, train: usize, test: usize) {
    write_tiny_mnist_sized(dir, (train, 28), (test, 28));
}

/// [`write_tiny_mnist`] with `(count, side)` for each split, so that a test can give the test
/// images another size than the training images.
pub fn write_tiny_mnist_sized(dir: &Path, (train, train_side): (usize, usize), (test, test_side): (usize, usize)) {
    let write = |name: &str, count: usize, side: usize, salt: usize| {
        let mut images = vec![0, 0, 8, 3];
        let mut labels = vec![0, 0, 8, 1];
        for v in [count as u32, side as u32, side as u32] {
            images.extend(v.to_be_bytes());
        }
        labels.extend((count as u32).to_be_bytes());
        for i in 0..count {
            let class = (i * 7 + salt) % 10;
            labels.push(class as u8);
            for p in 0..side * side {
                let row = p / side;
                let bright = row / 3 == class % 9 || (p * 31 + i * 17 + salt).is_multiple_of(11);
                images.push(if bright { 200 + (p % 50) as u8 } else { (p % 7) as u8 });
            }
        }
        std::fs::write(dir.join(format!("{name}-images-idx3-ubyte")), images).unwrap();
        std::fs::write(dir.join(format!("{name}-labels-idx1-ubyte")), labels).unwrap();
    };
    write("train", train, train_side, 0);
    write("t10k", test, test_side, 3);
}
