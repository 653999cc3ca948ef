//! Text for raster (PNG) plots, drawn with the shipped font by `ab_glyph` directly.
//!
//! plotters' own `ab_glyph` text places each glyph's bitmap at the pen position without its
//! left side bearing (and rounds the pen each glyph), so narrow letters drift and words read
//! "ep och". [`Glyphs`] wraps any backend and draws text itself: each glyph outlined at its
//! exact pen position, kerned, anchored and rotated as plotters asks. Everything else is the
//! wrapped backend's.

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters::prelude::*;
use plotters_backend::{
    text_anchor::{HPos, VPos},
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use std::sync::OnceLock;

fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| {
        // The font is checked once by `register_font` before any plot is drawn.
        FontRef::try_from_slice(super::FONT).expect("the bundled font parses")
    })
}

/// A text's width and height in pixels at `size`: the kerned advances, and plotters' own
/// line height (`size / 1.24`) so that charts lay out as they do in SVG.
pub(super) fn text_size(text: &str, size: f64) -> (f64, f64) {
    let font = font().as_scaled(PxScale::from(size as f32));
    let mut width = 0.0f32;
    let mut prev = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = prev {
            width += font.kern(p, id);
        }
        width += font.h_advance(id);
        prev = Some(id);
    }
    (f64::from(width), size / 1.24)
}

/// A backend whose text is drawn by [`draw`](Self::draw_text) below.
pub(super) struct Glyphs<B>(pub B);

impl<B: DrawingBackend> DrawingBackend for Glyphs<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<B::ErrorType>> {
        let (w, h) = text_size(text, style.size());
        Ok((w.ceil() as u32, h.ceil() as u32))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let size = style.size();
        let (width, height) = text_size(text, size);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Right => -width,
            HPos::Center => -width / 2.0,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0.0,
            VPos::Center => -height / 2.0,
            VPos::Bottom => -height,
        };
        let font = font().as_scaled(PxScale::from(size as f32));
        // The glyphs' ink (ascent to descent) is centred on the line box.
        let baseline = height as f32 / 2.0 + (font.ascent() + font.descent()) / 2.0;
        let transform = style.transform();
        let (w, h) = self.get_size();
        let mut pen = 0.0f32;
        let mut prev = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = prev {
                pen += font.kern(p, id);
            }
            prev = Some(id);
            let glyph = id.with_scale_and_position(font.scale(), point(pen, baseline));
            pen += font.h_advance(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            let mut ink = Vec::new();
            outline.draw(|x, y, coverage| ink.push((x, y, coverage)));
            for (x, y, coverage) in ink {
                if coverage <= 0.0 {
                    continue;
                }
                let gx = (bounds.min.x + x as f32 + dx as f32).round() as i32;
                let gy = (bounds.min.y + y as f32 + dy as f32).round() as i32;
                let (tx, ty) = transform.transform(gx, gy);
                let (px, py) = (pos.0 + tx, pos.1 + ty);
                if px >= 0 && py >= 0 && (px as u32) < w && (py as u32) < h {
                    let alpha = color.alpha * f64::from(coverage.min(1.0));
                    self.0.draw_pixel(
                        (px, py),
                        BackendColor {
                            alpha,
                            rgb: color.rgb,
                        },
                    )?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZE: (u32, u32) = (200, 40);

    /// Which pixel columns `draw` inks at all in a white bitmap.
    fn inked(draw: impl FnOnce(&mut [u8])) -> Vec<bool> {
        let (w, h) = (SIZE.0 as usize, SIZE.1 as usize);
        let mut buf = vec![255u8; w * h * 3];
        draw(&mut buf);
        (0..w)
            .map(|x| (0..h).any(|y| buf[(y * w + x) * 3] < 250))
            .collect()
    }

    #[test]
    fn letters_of_a_word_sit_at_their_advances() {
        super::super::register_font().unwrap();
        let columns = inked(|buf| {
            let area = Glyphs(BitMapBackend::with_buffer(buf, SIZE)).into_drawing_area();
            let style = ("sans-serif", 24).into_font().color(&BLACK);
            area.draw_text("epoch", &style, (10, 8)).unwrap();
            area.present().unwrap();
        });
        // Each letter's ink starts at its pen position (the kerned advances so far) plus its
        // left side bearing; plotters' own text starts it at the pen, a bearing (1-2 px here)
        // too early, so the gaps come out uneven.
        let font = font().as_scaled(PxScale::from(24.0));
        let mut pen = 10.0f32;
        let mut prev = None;
        let mut expected = Vec::new();
        for c in "epoch".chars() {
            let id = font.glyph_id(c);
            if let Some(p) = prev {
                pen += font.kern(p, id);
            }
            prev = Some(id);
            let glyph = id.with_scale_and_position(font.scale(), point(pen, 0.0));
            let bounds = font.outline_glyph(glyph).unwrap().px_bounds();
            expected.push(bounds.min.x);
            pen += font.h_advance(id);
        }
        let starts: Vec<f32> = (0..columns.len())
            .filter(|&i| columns[i] && (i == 0 || !columns[i - 1]))
            .map(|i| i as f32)
            .collect();
        assert_eq!(starts.len(), 5, "letters start at {starts:?}");
        for (got, want) in starts.iter().zip(&expected) {
            assert!(
                (got - want).abs() < 1.0,
                "letters start at {starts:?}, the font puts them at {expected:?}"
            );
        }
    }
}
