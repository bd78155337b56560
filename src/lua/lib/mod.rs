pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod struct_lib;
